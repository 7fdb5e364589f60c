//! What mdBook logs while it builds, caught instead of lost.
//!
//! mdBook 0.5 logs through `tracing`, and some of what it logs is a real
//! error that it does not return: a missing `{{#include}}` file is logged,
//! left as raw text in the page, and the build still succeeds. Recording the
//! warnings and errors of a build lets `cargo book build` and the tests fail
//! on them.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

/// Runs `body` and returns, beside its value, every warning and error it
/// logged on this thread, as `mdbook error: ...` / `mdbook warning: ...` lines.
///
/// The recorder is this thread's default subscriber only while `body` runs,
/// so it neither needs nor disturbs a global one. mdBook builds on the
/// calling thread, so nothing it logs escapes.
pub(crate) fn record<T>(body: impl FnOnce() -> T) -> (T, Vec<String>) {
    let recorder = Recorder::default();
    let logged = Arc::clone(&recorder.logged);
    let value = tracing::subscriber::with_default(Registry::default().with(recorder), body);
    let logged = std::mem::take(&mut *logged.lock().unwrap_or_else(PoisonError::into_inner));
    (value, logged)
}

/// A `tracing` layer that keeps the WARN and ERROR events it sees.
#[derive(Debug, Default)]
struct Recorder {
    logged: Arc<Mutex<Vec<String>>>,
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        *metadata.level() <= Level::WARN
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let level = if *event.metadata().level() == Level::ERROR {
            "error"
        } else {
            "warning"
        };
        let mut text = Text::default();
        event.record(&mut text);
        let line = format!("mdbook {level}: {}{}", text.message, text.fields);
        self.logged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }
}

/// An event's message and its other fields, as text.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // Writing to a String cannot fail.
        let _ = if field.name() == "message" {
            write!(self.message, "{value:?}")
        } else {
            write!(self.fields, " {}={value:?}", field.name())
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_warnings_and_errors_but_not_info() {
        let (value, logged) = record(|| {
            tracing::info!("building");
            tracing::warn!("careful");
            tracing::error!(file = "a.md", "broken");
            7
        });
        assert_eq!(value, 7);
        assert_eq!(
            logged,
            [
                "mdbook warning: careful",
                "mdbook error: broken file=\"a.md\""
            ]
        );
    }
}
