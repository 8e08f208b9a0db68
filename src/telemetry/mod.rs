//! Logging: structured `tracing` output on standard error, filtered by `RUST_LOG` (default
//! `info`). `KEEPSAKE_LOG_FORMAT=json` writes one JSON object per line (what a log collector in
//! a container wants); the default plain lines are coloured only on a terminal (and never with
//! `NO_COLOR`), so a log file holds no escape codes.
//!
//! Every request is one `request` span — method, route template (`/api/v1/orders/{id}`, never
//! the path itself, which can hold an invitation's or a download's token) and request id — and
//! one line when it is answered, with its status and latency. Handlers never log secrets or
//! personal data (ids only).
//!
//! With `traces.otlp_endpoint` set, the same spans are also exported as OpenTelemetry traces
//! ([`traces`]); off by default.
//!
//! s3s logs every request its embedded store refuses at ERROR (target `s3s::ops`), so a client's
//! bad signature would read as a server fault; the store logs refusals itself at the right
//! level (`storage::embedded`), and `s3s::ops` is off unless `RUST_LOG` names it.

pub mod traces;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const DEFAULT: &str = "info,aws_config=warn,aws_smithy_runtime=warn,s3s=warn,c2pa=warn";

/// Start logging (once per process; later calls change nothing). Trace export is switched on
/// afterwards, once the settings are read ([`traces::export`]).
pub fn init() {
    let format = LogFormat::from_env(std::env::var("KEEPSAKE_LOG_FORMAT").ok().as_deref());
    let (export, exporting) = traces::switch();
    let registry = tracing_subscriber::registry()
        .with(export)
        .with(filter(std::env::var("RUST_LOG").ok().as_deref()));
    let lines = tracing_subscriber::fmt::layer()
        .with_target(false)
        // Standard output is for what a command prints (`label verify`'s JSON report).
        .with_writer(std::io::stderr);
    let started = match format {
        Ok(LogFormat::Json) => registry
            .with(
                lines
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        Ok(LogFormat::Plain) | Err(_) => registry.with(lines.with_ansi(colour())).try_init(),
    };
    if started.is_ok() {
        traces::installed(exporting);
    }
    if let Err(unknown) = format {
        tracing::warn!(value = %unknown, "KEEPSAKE_LOG_FORMAT is json or plain; using plain");
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Plain,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// `KEEPSAKE_LOG_FORMAT`'s value (unset or empty: plain); the value itself when unknown.
    pub fn from_env(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim).unwrap_or_default() {
            "" | "plain" | "text" => Ok(Self::Plain),
            "json" => Ok(Self::Json),
            other => Err(other.to_owned()),
        }
    }
}

/// Colour only for a person at a terminal who did not ask for none (<https://no-color.org>).
fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The filter for `RUST_LOG`'s value (`None`: the default), with `s3s::ops` off unless named.
pub fn filter(rust_log: Option<&str>) -> tracing_subscriber::EnvFilter {
    let directives = rust_log.filter(|v| !v.trim().is_empty()).unwrap_or(DEFAULT);
    let filter = tracing_subscriber::EnvFilter::try_new(directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT));
    if directives.contains("s3s::ops") {
        return filter;
    }
    match "s3s::ops=off".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

#[cfg(test)]
mod tests {
    use super::LogFormat;

    #[test]
    fn the_log_format_is_plain_unless_json_is_asked_for() {
        assert_eq!(LogFormat::from_env(None), Ok(LogFormat::Plain));
        assert_eq!(LogFormat::from_env(Some("")), Ok(LogFormat::Plain));
        assert_eq!(LogFormat::from_env(Some("json")), Ok(LogFormat::Json));
        assert_eq!(LogFormat::from_env(Some(" plain ")), Ok(LogFormat::Plain));
        assert_eq!(LogFormat::from_env(Some("xml")), Err("xml".to_owned()));
    }

    #[test]
    fn the_stores_per_request_error_line_is_off_unless_named() {
        for rust_log in [None, Some("info"), Some("debug,s3s=debug")] {
            let shown = super::filter(rust_log).to_string();
            assert!(shown.contains("s3s::ops=off"), "{rust_log:?}: {shown}");
        }
        let named = super::filter(Some("info,s3s::ops=debug")).to_string();
        assert!(!named.contains("s3s::ops=off"), "{named}");
    }
}
