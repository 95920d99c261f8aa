//! Labels are classes by their text: a file mixing JSON types of labels is refused.

use std::path::Path;

use serde_json::Value;

use crate::error::Result;

/// The JSON types of a file's labels so far: labels are classes by their text, so a file that
/// mixes them (`1` and `"1"`, `true` and `"true"`, `1` and `1.0`) would silently make one
/// class two, or two classes one. Refused at the first disagreement, naming both lines.
#[derive(Default)]
pub(super) struct LabelKinds {
    /// The first label's type and line.
    first: Option<(&'static str, usize)>,
    /// Numeric labels by value: their text and line (`1` and `1.0` disagree).
    numbers: std::collections::HashMap<u64, (String, usize)>,
}

impl LabelKinds {
    pub(super) fn check(&mut self, path: &Path, line: usize, field: &str, v: &Value) -> Result<()> {
        match v {
            Value::Array(items) => items
                .iter()
                .try_for_each(|i| self.check(path, line, field, i)),
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                let kind = type_name(v);
                match self.first {
                    None => self.first = Some((kind, line)),
                    Some((k, first)) if k != kind => {
                        return Err(crate::error::Error::input(
                            path,
                            line,
                            Some(field),
                            format!(
                                "the label {v} is {kind}, but the label on line {first} is {k}: \
                                 labels are classes by their text, so give every label the same \
                                 JSON type (e.g. all strings)"
                            ),
                        ))
                    }
                    Some(_) => {}
                }
                if let Value::Number(n) = v {
                    if let Some(x) = n.as_f64() {
                        let key = if x == 0.0 { 0 } else { x.to_bits() };
                        let text = n.to_string();
                        match self.numbers.get(&key) {
                            Some((t, first)) if *t != text => {
                                return Err(crate::error::Error::input(
                                    path,
                                    line,
                                    Some(field),
                                    format!(
                                        "the label {text} is the number {t} on line {first} \
                                         written differently: labels are classes by their text, \
                                         so write each the same way"
                                    ),
                                ))
                            }
                            Some(_) => {}
                            None => {
                                self.numbers.insert(key, (text, line));
                            }
                        }
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The JSON type of `v`, as an error message names it.
pub(super) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
