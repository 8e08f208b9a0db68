//! Logging: structured `tracing` output, filtered by `RUST_LOG` (default `info`). Request spans
//! carry the request id; handlers never log secrets or personal data (ids only).
//!
//! s3s logs every request its embedded store refuses at ERROR (target `s3s::ops`), so a client's
//! bad signature would read as a server fault; the store logs refusals itself at the right
//! level (`storage::embedded`), and `s3s::ops` is off unless `RUST_LOG` names it.

const DEFAULT: &str = "info,aws_config=warn,aws_smithy_runtime=warn,s3s=warn,c2pa=warn";

pub fn init() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter(std::env::var("RUST_LOG").ok().as_deref()))
        .with_target(false)
        // Standard output is for what a command prints (`label verify`'s JSON report).
        .with_writer(std::io::stderr)
        .try_init();
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
