//! Every setting by environment variable — what a container is configured with — without a
//! hand-written line per setting that a new one could miss: the names come from the settings
//! themselves. A setting's variable is `KEEPSAKE_` and its path in `keepsake.toml`, sections
//! joined by a double underscore, in capitals: `[notifications] poll_interval_secs` is
//! `KEEPSAKE_NOTIFICATIONS__POLL_INTERVAL_SECS`, `[sla.machine_driven] target_days` is
//! `KEEPSAKE_SLA__MACHINE_DRIVEN__TARGET_DAYS`, `max_json_body_bytes` is
//! `KEEPSAKE_MAX_JSON_BODY_BYTES`.
//!
//! The defaults, serialized, give every path and its type (a number, a flag, text; a setting
//! that is unset by default takes a whole number as a number and anything else as text). The
//! variables found are laid over the file's table, and the whole is read as settings, so a
//! value of the wrong type is refused with the variable's name, like one in the file.

use serde::Deserialize;
use serde_json::Value;

use super::{ConfigError, EnvSource, Settings};

/// The settings the environment gives: each one's variable, path and value.
pub(super) struct Overlay {
    found: Vec<(String, Vec<String>, Value)>,
    /// The default settings, serialized: where a section the file leaves out comes from.
    defaults: Value,
}

impl Overlay {
    pub(super) fn from_env(env: &impl EnvSource) -> Result<Self, ConfigError> {
        let defaults = serde_json::to_value(Settings::default()).map_err(|e| {
            ConfigError::Invalid(format!("the default settings cannot be listed: {e}"))
        })?;
        let mut found = Vec::new();
        for (path, default) in leaves(&defaults, Vec::new()) {
            let name = variable(&path);
            if let Some(text) = env.var(&name) {
                let value = typed(default, &text).map_err(|reason| ConfigError::EnvOverlay {
                    names: name.clone(),
                    reason,
                })?;
                found.push((name, path, value));
            }
        }
        Ok(Self { found, defaults })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// `file` (the settings file's table, or an empty one) with these values laid over it,
    /// read as settings.
    pub(super) fn apply(self, file: toml::Table) -> Result<Settings, ConfigError> {
        let names = self
            .found
            .iter()
            .map(|(name, _, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let failed = |reason: String| ConfigError::EnvOverlay {
            names: names.clone(),
            reason,
        };
        let mut merged = serde_json::to_value(file).map_err(|e| failed(e.to_string()))?;
        for (_, path, value) in self.found {
            set(&mut merged, &self.defaults, &path, value);
        }
        Settings::deserialize(merged).map_err(|e| failed(e.to_string()))
    }
}

/// `KEEPSAKE_` + the path in capitals, sections joined by `__`.
pub(super) fn variable(path: &[String]) -> String {
    format!("KEEPSAKE_{}", path.join("__").to_uppercase())
}

/// Every value that is not a table, with its path.
fn leaves(value: &Value, path: Vec<String>) -> Vec<(Vec<String>, &Value)> {
    match value {
        Value::Object(map) => map
            .iter()
            .flat_map(|(key, inner)| {
                let mut deeper = path.clone();
                deeper.push(key.clone());
                leaves(inner, deeper)
            })
            .collect(),
        leaf => vec![(path, leaf)],
    }
}

/// `text` as the type of `default`.
fn typed(default: &Value, text: &str) -> Result<Value, String> {
    let text = text.trim();
    match default {
        Value::Bool(_) => match text {
            "true" | "1" | "yes" => Ok(Value::Bool(true)),
            "false" | "0" | "no" => Ok(Value::Bool(false)),
            _ => Err(format!("{text:?} is not true or false")),
        },
        Value::Number(_) => serde_json::from_str::<serde_json::Number>(text)
            .map(Value::Number)
            .map_err(|_| format!("{text:?} is not a number")),
        Value::Null => Ok(text
            .parse::<u64>()
            .map_or_else(|_| Value::String(text.to_owned()), Value::from)),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// Put `value` at `path` in `root`; a section `root` lacks is first copied whole from
/// `defaults` (a section given in the file is read as the file gives it).
fn set(root: &mut Value, defaults: &Value, path: &[String], value: Value) {
    let Some((last, sections)) = path.split_last() else {
        return;
    };
    let (mut at, mut default_at) = (root, Some(defaults));
    for section in sections {
        default_at = default_at.and_then(|d| d.get(section));
        if !at.get(section).is_some_and(Value::is_object) {
            at[section.as_str()] = default_at
                .filter(|d| d.is_object())
                .cloned()
                .unwrap_or_else(|| Value::Object(serde_json::Map::new()));
        }
        at = &mut at[section.as_str()];
    }
    at[last.as_str()] = value;
}
