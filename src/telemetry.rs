//! Logging: structured `tracing` output, filtered by `RUST_LOG` (default `info`). Request spans
//! carry the request id; handlers never log secrets or personal data (ids only).

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,aws_config=warn,aws_smithy_runtime=warn,s3s=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
