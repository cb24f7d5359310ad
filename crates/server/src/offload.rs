//! CPU-heavy request work (parsing big bodies, checking big batches) runs off the async workers.

/// Runs `work` on tokio's blocking pool, so the async workers keep answering (`/health` among
/// them) while it runs. A panic in `work` panics here, where the panic layer answers it.
pub async fn off_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only when the runtime shuts down, when no answer is awaited any more.
            Err(e) => panic!("blocking work was cancelled: {e}"),
        },
    }
}
