//! L2-regularised logistic regression, one-vs-rest, as scikit-learn's
//! `LogisticRegression(C, multi_class='ovr', solver='liblinear')` fits it.
//!
//! Like liblinear (and therefore sklearn) the intercept is a constant extra
//! feature of value 1 (`intercept_scaling=1`) whose weight is regularised
//! together with the others. With more than two classes one binary problem
//! "class k vs the rest" is solved per class; with exactly two classes a
//! single problem (positive = class 1) is solved, as sklearn does.
//!
//! All problems share one strictly convex objective per class, so any solver
//! run to a tight tolerance reaches the same weights as sklearn (which uses
//! liblinear's primal trust-region Newton by default); only the route
//! differs. We use liblinear's dual coordinate descent because with far more
//! features than documents each step costs one pass over a single row.
//!
//! | file | what |
//! |---|---|
//! | `params.rs` | [`LogRegParams`], [`FitReport`] |
//! | `matrix.rs` | what a fit takes: [`TrainMatrix`] and the targets |
//! | `route.rs` | the route choice and the fit entry points ([`LogRegParams::fit`]) |
//! | `gram.rs`, `folded.rs`, `lockstep.rs`, `block.rs` | the solver routes |
//! | `kernels.rs` | what the routes share: binary problems, dual solutions |
//! | `model.rs` | the fitted [`LogReg`] and its checks |
//! | `predict.rs` | decision values, probabilities, SIMD kernels |
//! | `reference.rs` | the one-problem solver the tests check the routes against |

mod block;
mod bounds;
mod folded;
mod folded_rows;
mod gram;
mod kernels;
mod lockstep;
mod matrix;
mod model;
mod params;
mod parts;
mod predict;
#[cfg(test)]
mod reference;
mod route;
#[cfg(test)]
mod tests;

pub use matrix::TrainMatrix;
pub use model::{LogReg, LogRegOut};
pub use params::{FitReport, LogRegParams};
