//! A TCP proxy on 127.0.0.1 between the browser and the server that can refuse connections and
//! cut them after the server answered (so the server committed but the answer never arrives).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Shared {
    /// Bumped by `set_flaky`: connections kept alive from before end at once.
    generation: tokio::sync::watch::Sender<u64>,
    flaky: AtomicBool,
    /// Connection count when failures were turned on: the pattern starts there.
    flaky_since: AtomicU64,
    connections: AtomicU64,
    refused: AtomicU64,
    cut: AtomicU64,
    pushes: AtomicU64,
    pulls: AtomicU64,
    push_bytes: AtomicU64,
}

/// What went through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections closed at once, never forwarded.
    pub refused: u64,
    /// Connections cut as the server's answer started.
    pub cut: u64,
    /// `POST /api/v1/sync/push` requests forwarded to the server.
    pub pushes: u64,
    /// `GET /api/v1/sync/pull` requests forwarded.
    pub pulls: u64,
    /// Bytes the browser sent on connections that carried a push.
    pub push_bytes: u64,
}

/// The proxy; stops when dropped.
pub struct FlakyProxy {
    /// `http://127.0.0.1:PORT` of the proxy: what the browser opens.
    pub base: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FlakyProxy {
    /// Listens on a free port and forwards to `127.0.0.1:upstream` (reliably until
    /// [`FlakyProxy::set_flaky`]).
    pub async fn start(upstream: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let shared = Arc::new(Shared {
            generation: tokio::sync::watch::channel(0).0,
            flaky: AtomicBool::new(false),
            flaky_since: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            cut: AtomicU64::new(0),
            pushes: AtomicU64::new(0),
            pulls: AtomicU64::new(0),
            push_bytes: AtomicU64::new(0),
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = s.connections.fetch_add(1, Ordering::SeqCst);
                let s = s.clone();
                tokio::spawn(async move {
                    // Six of every ten connections fail when flaky: three never reach the
                    // server, three reach it and lose the answer; mixed, not in runs.
                    const PATTERN: [Mode; 10] = [
                        Mode::CutAnswer,
                        Mode::Refuse,
                        Mode::Pass,
                        Mode::Refuse,
                        Mode::CutAnswer,
                        Mode::Pass,
                        Mode::Refuse,
                        Mode::CutAnswer,
                        Mode::Pass,
                        Mode::Pass,
                    ];
                    let mode = if s.flaky.load(Ordering::SeqCst) {
                        let i = n.saturating_sub(s.flaky_since.load(Ordering::SeqCst));
                        PATTERN[(i % 10) as usize]
                    } else {
                        Mode::Pass
                    };
                    let _ = relay(client, upstream, mode, &s).await;
                });
            }
        });
        Ok(Self { base, shared, task })
    }

    /// Turns failures on or off for new connections.
    pub fn set_flaky(&self, on: bool) {
        self.shared.flaky_since.store(
            self.shared.connections.load(Ordering::SeqCst),
            Ordering::SeqCst,
        );
        self.shared.flaky.store(on, Ordering::SeqCst);
        self.shared.generation.send_modify(|g| *g += 1);
    }

    /// The counters so far.
    pub fn stats(&self) -> ProxyStats {
        let s = &self.shared;
        ProxyStats {
            connections: s.connections.load(Ordering::SeqCst),
            refused: s.refused.load(Ordering::SeqCst),
            cut: s.cut.load(Ordering::SeqCst),
            pushes: s.pushes.load(Ordering::SeqCst),
            pulls: s.pulls.load(Ordering::SeqCst),
            push_bytes: s.push_bytes.load(Ordering::SeqCst),
        }
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Pass,
    Refuse,
    CutAnswer,
}

/// Follows one HTTP response with a `Content-Length` to its end.
#[derive(Default)]
struct Answer {
    head: Vec<u8>,
    body_left: Option<usize>,
}

impl Answer {
    /// Feeds bytes of the response; true once the whole first response went by.
    fn feed(&mut self, bytes: &[u8]) -> bool {
        if let Some(left) = self.body_left.as_mut() {
            *left = left.saturating_sub(bytes.len());
            return *left == 0;
        }
        self.head.extend_from_slice(bytes);
        let Some(end) = self.head.windows(4).position(|w| w == b"\r\n\r\n") else {
            return false;
        };
        let head = String::from_utf8_lossy(&self.head[..end]).to_ascii_lowercase();
        let Some(len) = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
        else {
            // No length (chunked, or none): pass it on until the server closes.
            self.body_left = Some(usize::MAX);
            return false;
        };
        let have = self.head.len() - (end + 4);
        self.body_left = Some(len.saturating_sub(have));
        self.body_left == Some(0)
    }
}

fn count(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len()).filter(|w| *w == needle).count() as u64
}

async fn relay(client: TcpStream, upstream: u16, mode: Mode, s: &Shared) -> std::io::Result<()> {
    if mode == Mode::Refuse {
        s.refused.fetch_add(1, Ordering::SeqCst);
        drop(client);
        return Ok(());
    }
    let mut generation = s.generation.subscribe();
    let server = TcpStream::connect(("127.0.0.1", upstream)).await?;
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let up = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut carried_push = false;
        loop {
            let n = cr.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            let chunk = &buf[..n];
            let pushes = count(chunk, b"POST /api/v1/sync/push ");
            if pushes > 0 {
                carried_push = true;
            }
            s.pushes.fetch_add(pushes, Ordering::SeqCst);
            s.pulls
                .fetch_add(count(chunk, b"GET /api/v1/sync/pull"), Ordering::SeqCst);
            if carried_push {
                s.push_bytes.fetch_add(n as u64, Ordering::SeqCst);
            }
            sw.write_all(chunk).await?;
        }
        sw.shutdown().await
    };
    let down = async {
        let mut buf = vec![0u8; 64 * 1024];
        let mut answer = Answer::default();
        loop {
            let n = sr.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            if mode == Mode::CutAnswer {
                // The server has answered, so it has committed: the browser never hears it.
                s.cut.fetch_add(1, Ordering::SeqCst);
                return Err(std::io::Error::other("cut"));
            }
            cw.write_all(&buf[..n]).await?;
            if answer.feed(&buf[..n]) {
                // While flaky, one answer per connection: every request takes its chances on
                // a new connection instead of riding a good one kept alive.
                if s.flaky.load(Ordering::SeqCst) {
                    return Err(std::io::Error::other("one answer given"));
                }
                answer = Answer::default();
            }
        }
        cw.shutdown().await
    };
    // Either direction failing ends both: dropping the halves closes the sockets.
    tokio::select! {
        r = async { tokio::try_join!(up, down) } => r.map(|_| ()),
        _ = generation.changed() => Err(std::io::Error::other("the network changed")),
    }
}
