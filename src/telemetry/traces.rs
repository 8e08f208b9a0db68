//! Optional trace export: every span (the request span with its route template and request
//! id, and whatever runs inside it) sent to an OpenTelemetry collector over OTLP (HTTP,
//! protobuf) when `traces.otlp_endpoint` is set — off by default.
//!
//! Logging starts before the settings are read, so the export layer is installed empty at
//! start ([`switch`]) and filled in once they are ([`export`]); spans go through a batch
//! processor on its own thread, flushed by [`shutdown`] when the process ends. Spans carry what
//! the log lines carry — ids and route templates, never personal data.

use std::sync::OnceLock;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_subscriber::{Registry, reload};

use crate::config::TracesSettings;

type ExportLayer = tracing_opentelemetry::OpenTelemetryLayer<Registry, SdkTracer>;
type Switch = reload::Handle<Option<ExportLayer>, Registry>;

static SWITCH: OnceLock<Switch> = OnceLock::new();
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();

#[derive(Debug, thiserror::Error)]
pub enum TraceExportError {
    #[error("traces.otlp_endpoint: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
    #[error("trace export could not be switched on: {0}")]
    Switch(String),
}

/// The export layer, empty, and the handle that fills it in.
pub(super) fn switch() -> (reload::Layer<Option<ExportLayer>, Registry>, Switch) {
    reload::Layer::new(None)
}

/// Logging started with this switch (only the first `init` of a process does).
pub(super) fn installed(switch: Switch) {
    let _ = SWITCH.set(switch);
}

/// Start exporting spans when `settings` name an endpoint (once per process). Returns whether
/// spans are now exported.
pub fn export(settings: &TracesSettings) -> Result<bool, TraceExportError> {
    let Some(endpoint) = settings.otlp_endpoint.as_deref() else {
        return Ok(false);
    };
    let Some(switch) = SWITCH.get() else {
        return Ok(false);
    };
    if PROVIDER.get().is_some() {
        return Ok(true);
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(settings.service_name.clone())
                .build(),
        )
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("keepsake"));
    switch
        .reload(Some(layer))
        .map_err(|e| TraceExportError::Switch(e.to_string()))?;
    let _ = PROVIDER.set(provider);
    Ok(true)
}

/// Send the spans still waiting and stop exporting (blocks for up to a few seconds: call it
/// outside the async runtime, as the process ends).
pub fn shutdown() {
    if let Some(provider) = PROVIDER.get()
        && let Err(err) = provider.shutdown()
    {
        eprintln!("keepsake: the last traces could not be sent: {err}");
    }
}
