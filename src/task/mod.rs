//! The task registry: everything task-specific about the five RuMedBench tasks lives here.
//!
//! A [`TaskSpec`] says where a task's files are, which JSON fields hold the id, the input(s) and
//! the label, what kind of input it is and which metrics score it. The built-in tasks are plain
//! entries of the same type a user-defined task (loaded from a TOML task file) produces, so the
//! rest of the crate never matches on a task name.

//!
//! | file | what |
//! |---|---|
//! | `spec.rs` | [`TaskSpec`]: fields, kind, metrics |
//! | `registry.rs` | the built-in tasks ([`registry`], [`find`], the paper's figures) |
//! | `file.rs` | a user-defined task: [`TaskFile`] |
//! | [`wire`] | a task's encoding in the model file |

mod file;
mod registry;
mod spec;
pub mod wire;

pub(crate) use file::check_name;
pub use file::{parse_delimiter, TaskFile};
pub use registry::{
    builtin, builtin_list, find, overall_tasks, registry, resolve, Builtin, PAPER_OVERALL,
    PAPER_SYSTEMS,
};
pub use spec::{multi_label_metrics, InputFields, Metric, TaskKind, TaskSpec};
