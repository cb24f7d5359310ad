//! What the accept loop does when accepting fails: never spin, never stop.

use std::io::{Error, ErrorKind};
use std::time::Duration;

/// A pause long enough to let connections close and free descriptors, short enough that the
/// server is back at once.
const PAUSE: Duration = Duration::from_millis(50);

/// True when the error concerns the one connection (it was reset before we took it), so the
/// next accept can follow at once.
fn is_connection_error(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

/// Waits as the error needs: nothing for a connection that went away, a short pause for the
/// rest (out of file descriptors, memory or buffers), which retrying at once would only repeat.
pub(super) async fn pause_after(e: &Error) {
    if is_connection_error(e) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed; pausing briefly");
    tokio::time::sleep(PAUSE).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_connection_is_not_a_reason_to_pause_but_running_out_of_descriptors_is() {
        assert!(is_connection_error(&Error::from(
            ErrorKind::ConnectionAborted
        )));
        // EMFILE, as the kernel reports it.
        assert!(!is_connection_error(&Error::from_raw_os_error(24)));
    }
}
