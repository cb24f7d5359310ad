//! The sync loop without the browser, so it is tested natively with a fake lab.
//!
//! It pushes the outbox batch by batch with the device token (settling, quarantining, splitting a
//! refused batch down to the one bad record), pulls the worklist and the site with the signed-in
//! person's session (patient data never goes to the bare device token), rotates the device token
//! when the lab asks, backs off after failures, and runs one sync at a time. [`super::runner`] connects it to Leptos and the browser; the tests drive
//! it with a memory store and a scripted transport.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

use chrono::{DateTime, FixedOffset};
use drawline_domain::api::{EnrollResponse, Heartbeat, PullQuery, SiteVersion, MAX_PUSH_RECORDS};

use super::pull::{self, OrderNotice, NOTICES};
use super::push::{self, Failure, Settlement};
use super::rotation::{self, Rotated};
use super::transport::Transport;
use crate::storage::keys::{TypedRecords, DEVICE, PULL_CURSOR, SESSION, SITE, SITE_HASH, WORKLIST};
use crate::storage::{wipe, Attention, DraftStore, OutboxItem, StorageError};
use crate::workflow;

/// The app version sent with every push and pull.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What sync is doing, for the status bar and the sync screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Nothing to do, or not started yet.
    Idle,
    /// Sending this many records.
    Sending(usize),
    /// Downloading worklist changes.
    Pulling,
    /// The last attempt failed; the next one is at this time (ms since the epoch).
    Retrying {
        /// When the next attempt starts.
        at_ms: f64,
    },
    /// The lab refused this tablet's token: sync stops until it is enrolled again.
    Reenroll(String),
}

/// What the loop needs from its surroundings, and what it tells them: the browser glue keeps
/// these in signals, the tests in a log.
#[async_trait::async_trait(?Send)]
pub trait Host {
    /// The device's enrollment; none means there is nothing to sync yet.
    fn device(&self) -> Option<EnrollResponse>;
    /// Whether the device believes it has a connection.
    fn online(&self) -> bool;
    /// The device database.
    async fn store(&self) -> Result<Rc<dyn DraftStore>, StorageError>;
    /// The device clock.
    fn now(&self) -> DateTime<FixedOffset>;
    /// A random number in `[0, 1)`, for the retry jitter.
    fn random(&self) -> f64;
    /// Sync moved to another phase.
    fn phase(&self, phase: Phase);
    /// Outbox ids in the request being sent (empty between requests).
    fn sending(&self, ids: HashSet<String>);
    /// Quarantined outbox records, as of the last look at the outbox.
    fn attention(&self, count: usize);
    /// The lab flagged the device clock: device minus server, in seconds.
    fn skew(&self, seconds: Option<i64>);
    /// The last failure, cleared by a full sync.
    fn error(&self, why: Option<String>);
    /// A full sync went through now.
    fn synced(&self);
    /// Something was written to the store: lists and counts should read it again.
    fn stored(&self);
    /// The device's token was rotated: this enrollment (already stored) is the one to use now.
    fn set_device(&self, device: EnrollResponse);
    /// The lab ended the session with this token (its removal is already stored): the person is
    /// signed out on the tablet.
    fn signed_out(&self, token: &str);
    /// The lab revoked this device; what it had delivered is wiped, and this is what it kept.
    fn revoked(&self, kept: wipe::Kept);
}

/// How a pull went, when the lab answered.
enum Pulled {
    /// The worklist is up to date; the lab asked for a new device token.
    Done {
        /// `rotate_token` of any page.
        rotate: bool,
    },
    /// The lab no longer takes the session (ended, expired, the person deactivated).
    SessionEnded,
}

#[derive(Default)]
struct State {
    running: bool,
    again: bool,
    attempt: u32,
    attention: usize,
    last_error: Option<String>,
}

/// One sync loop over a transport; at most one run at a time.
pub struct Engine<T> {
    host: Rc<dyn Host>,
    transport: T,
    state: RefCell<State>,
}

fn sync_failure(e: StorageError) -> Failure {
    Failure::Transient(format!("the tablet's storage failed: {e}"))
}

impl<T: Transport> Engine<T> {
    /// A loop reporting to `host` and calling the lab through `transport`.
    pub fn new(host: Rc<dyn Host>, transport: T) -> Self {
        Self {
            host,
            transport,
            state: RefCell::default(),
        }
    }

    /// Whether a run is in progress.
    pub fn running(&self) -> bool {
        self.state.borrow().running
    }

    /// Claims the loop for a run. False when one is in progress: that run then goes round once
    /// more, so a trigger during a run is never lost and never starts a second one.
    pub fn claim(&self) -> bool {
        let mut s = self.state.borrow_mut();
        if s.running {
            s.again = true;
            false
        } else {
            s.running = true;
            s.again = false;
            true
        }
    }

    /// Syncs until no trigger came in meanwhile. `None` when another run was in progress;
    /// otherwise the milliseconds until the next attempt, or `None` inside when sync must stop.
    pub async fn run(&self) -> Option<Option<u32>> {
        if !self.claim() {
            return None;
        }
        let delay = loop {
            let result = self.cycle().await;
            let again = std::mem::take(&mut self.state.borrow_mut().again);
            if again && !matches!(result, Err(Failure::Reenroll(_)) | Err(Failure::Revoked(_))) {
                continue;
            }
            break self.finish(result);
        };
        self.state.borrow_mut().running = false;
        Some(delay)
    }

    /// One sync for "Prepare for round", once no run is in progress (the caller waits for that):
    /// its result, the wait before the next attempt, and whether a trigger came in meanwhile.
    pub async fn run_once(&self) -> (Result<(), Failure>, Option<u32>, bool) {
        self.state.borrow_mut().running = true;
        let result = self.cycle().await;
        let again = {
            let mut s = self.state.borrow_mut();
            s.running = false;
            std::mem::take(&mut s.again)
        };
        let delay = self.finish(result.clone());
        (result, delay, again)
    }

    fn finish(&self, result: Result<(), Failure>) -> Option<u32> {
        let host = &self.host;
        host.sending(HashSet::new());
        match result {
            Ok(()) => {
                self.state.borrow_mut().attempt = 0;
                self.set_error(None);
                host.synced();
                host.phase(Phase::Idle);
                Some(push::RECHECK_MS)
            }
            Err(Failure::Reenroll(why)) | Err(Failure::Revoked(why)) => {
                self.set_error(Some(why.clone()));
                host.phase(Phase::Reenroll(why));
                None
            }
            Err(Failure::Transient(why)) | Err(Failure::Refused(why)) => {
                let attempt = {
                    let mut s = self.state.borrow_mut();
                    s.attempt += 1;
                    s.attempt
                };
                let delay = push::retry_delay_ms(attempt, host.random());
                self.set_error(Some(why));
                let now_ms = host.now().timestamp_millis() as f64;
                host.phase(Phase::Retrying {
                    at_ms: now_ms + f64::from(delay),
                });
                Some(delay)
            }
        }
    }

    fn set_error(&self, why: Option<String>) {
        self.state.borrow_mut().last_error = why.clone();
        self.host.error(why);
    }

    fn last_error(&self) -> Option<String> {
        self.state.borrow().last_error.clone()
    }

    fn set_attention(&self, count: usize) {
        self.state.borrow_mut().attention = count;
        self.host.attention(count);
    }

    fn quarantined(&self) {
        let count = self.state.borrow().attention + 1;
        self.set_attention(count);
    }

    async fn cycle(&self) -> Result<(), Failure> {
        let result = self.exchange().await;
        if let Err(Failure::Revoked(_)) = &result {
            // Wiped before anything else happens: a revoked tablet keeps only what the lab
            // does not have yet.
            let store = self.host.store().await.map_err(sync_failure)?;
            let kept = wipe::wipe_delivered(store.as_ref())
                .await
                .map_err(sync_failure)?;
            self.host.revoked(kept);
            self.host.stored();
        }
        result
    }

    async fn exchange(&self) -> Result<(), Failure> {
        let Some(device) = self.host.device() else {
            return Ok(());
        };
        if !self.host.online() {
            return Err(Failure::Transient(
                "no connection; waiting collections go when the tablet is back online".into(),
            ));
        }
        let store = self.host.store().await.map_err(sync_failure)?;
        // The outbox goes out with the device token, whether anyone is signed in or not.
        self.push_all(&store, &device.token).await?;
        // A locked tablet cannot read its session (it is encrypted): it only pushes and beats.
        let session = match store.read(SESSION).await {
            Err(StorageError::Locked) => None,
            other => other.map_err(sync_failure)?,
        };
        let rotate = match pull::pull_token(session.as_ref(), self.host.now()) {
            Some(token) => match self.pull_all(&store, token, device.device_id).await? {
                Pulled::Done { rotate } => rotate,
                Pulled::SessionEnded => {
                    self.sign_out(&store, token).await?;
                    self.beat(&store, &device.token).await?;
                    false
                }
            },
            // Nobody signed in: no patient data comes down, but the lab still hears the tablet.
            None => {
                self.beat(&store, &device.token).await?;
                false
            }
        };
        if rotate {
            self.rotate(&store, &device).await?;
        }
        Ok(())
    }

    /// Signs out on the tablet after the lab ended the session with `token`: only the session is
    /// removed, every draft and outbox record stays. A newer sign-in meanwhile is left alone.
    async fn sign_out(&self, store: &Rc<dyn DraftStore>, token: &str) -> Result<(), Failure> {
        let stored = store.read(SESSION).await.map_err(sync_failure)?;
        if stored.as_ref().is_some_and(|s| s.token == token) {
            store.remove(SESSION).await.map_err(sync_failure)?;
        }
        self.host.signed_out(token);
        self.host.stored();
        Ok(())
    }

    /// Tells the lab what the tablet still holds unsynced, when no pull carries it.
    async fn beat(&self, store: &Rc<dyn DraftStore>, token: &str) -> Result<(), Failure> {
        let outbox = store.list_outbox().await.map_err(sync_failure)?;
        let now = self.host.now();
        let (queue_length, oldest) = push::queue_stats(&outbox, now);
        let beat = Heartbeat {
            device_clock: Some(now),
            queue_length,
            oldest_unsynced_seconds: oldest,
            last_error: self.last_error(),
        };
        self.transport
            .heartbeat(token, &beat)
            .await
            .map_err(|e| Failure::of(&e))
    }

    /// Trades the device token for a new one: stored first, then used at once (a heartbeat), so
    /// the lab retires the old one. A lost or unusable answer keeps the old token, which still
    /// works; the next pull asks again.
    async fn rotate(
        &self,
        store: &Rc<dyn DraftStore>,
        device: &EnrollResponse,
    ) -> Result<(), Failure> {
        let answer = match self.transport.rotate(&device.token).await {
            Ok(answer) => answer,
            Err(e) => {
                return match Failure::of(&e) {
                    Failure::Reenroll(why) => Err(Failure::Reenroll(why)),
                    _ => Ok(()),
                }
            }
        };
        let Rotated::Replace(new) = rotation::accept(device, answer) else {
            return Ok(());
        };
        store.write(DEVICE, &new).await.map_err(sync_failure)?;
        self.host.set_device(new.clone());
        match self.beat(store, &new.token).await {
            // The new token is stored: if it cannot be used now, the next push uses it.
            Err(Failure::Reenroll(why)) => Err(Failure::Reenroll(why)),
            _ => Ok(()),
        }
    }

    async fn push_all(&self, store: &Rc<dyn DraftStore>, token: &str) -> Result<(), Failure> {
        let mut limit = MAX_PUSH_RECORDS;
        // Each pass reads the outbox once and sends it batch by batch; the next pass picks up
        // whatever was finalized meanwhile (or the records of a batch the lab left unanswered).
        'pass: loop {
            let all = store.list_outbox().await.map_err(sync_failure)?;
            self.set_attention(all.iter().filter(|i| i.attention.is_some()).count());
            let ready: Vec<OutboxItem> = push::sendable(&all).into_iter().cloned().collect();
            if ready.is_empty() {
                return Ok(());
            }
            for chunk in ready.chunks(limit) {
                let now = self.host.now();
                let (request, broken) =
                    push::push_request(chunk, &all, now, APP_VERSION, self.last_error());
                for b in &broken {
                    store.put_outbox(b).await.map_err(sync_failure)?;
                }
                let batch: Vec<OutboxItem> = chunk
                    .iter()
                    .filter(|i| !broken.iter().any(|b| b.id == i.id))
                    .cloned()
                    .collect();
                if batch.is_empty() {
                    self.host.stored();
                    continue;
                }
                self.host
                    .sending(batch.iter().map(|i| i.id.clone()).collect());
                self.host.phase(Phase::Sending(batch.len()));
                let answer = self.transport.push(token, &request).await;
                self.host.sending(HashSet::new());
                match answer {
                    Ok(response) => {
                        self.host.skew(
                            response
                                .clock_skew_flagged
                                .then_some(response.clock_skew_seconds),
                        );
                        let mut synced = Vec::new();
                        let mut progress = false;
                        for s in push::settle(&batch, &response, now) {
                            match s {
                                Settlement::Synced(r) => synced.push(r),
                                Settlement::Quarantined(q) => {
                                    store.put_outbox(&q).await.map_err(sync_failure)?;
                                    self.quarantined();
                                    progress = true;
                                }
                                Settlement::Unanswered(_) => {}
                            }
                        }
                        if !synced.is_empty() {
                            store.settle(&synced).await.map_err(sync_failure)?;
                            progress = true;
                        }
                        self.host.stored();
                        if !progress {
                            return Err(Failure::Transient(
                                "the lab answered without a result for the records sent".into(),
                            ));
                        }
                    }
                    Err(e) => match Failure::of(&e) {
                        // One record the lab cannot take must not hold back the rest: send one
                        // at a time until the record that causes it is found and set aside.
                        Failure::Refused(_) if batch.len() > 1 => {
                            limit = 1;
                            continue 'pass;
                        }
                        Failure::Refused(why) => {
                            let mut q = batch[0].clone();
                            q.attention = Some(Attention {
                                outcome: "rejected".into(),
                                code: None,
                                reason: why,
                                at: now.to_rfc3339(),
                            });
                            store.put_outbox(&q).await.map_err(sync_failure)?;
                            self.quarantined();
                            self.host.stored();
                        }
                        other => return Err(other),
                    },
                }
            }
            limit = MAX_PUSH_RECORDS;
        }
    }

    async fn pull_all(
        &self,
        store: &Rc<dyn DraftStore>,
        token: &str,
        device_id: uuid::Uuid,
    ) -> Result<Pulled, Failure> {
        self.host.phase(Phase::Pulling);
        let mut rotate = false;
        // A bounded number of pages: a server that always says "more" cannot spin the tablet.
        for _ in 0..100 {
            let cursor = store.read(PULL_CURSOR).await.map_err(sync_failure)?;
            let outbox = store.list_outbox().await.map_err(sync_failure)?;
            let now = self.host.now();
            let (queue_length, oldest) = push::queue_stats(&outbox, now);
            let query = PullQuery {
                cursor,
                device_clock: Some(now),
                app_version: Some(APP_VERSION.into()),
                queue_length: Some(queue_length),
                oldest_unsynced_seconds: oldest,
                last_error: self.last_error(),
                limit: None,
            };
            let response = match self.transport.pull(token, &query).await {
                Ok(response) => response,
                Err(e) if pull::session_ended(&e) => return Ok(Pulled::SessionEnded),
                Err(e) => return Err(Failure::of(&e)),
            };
            rotate |= response.rotate_token;
            let held = held_orders(store).await.map_err(sync_failure)?;
            let stored = store.read(WORKLIST).await.map_err(sync_failure)?;
            let (worklist, notices) = pull::apply(stored.as_ref(), &response, &held, device_id);
            store
                .write(WORKLIST, &worklist)
                .await
                .map_err(sync_failure)?;
            if !notices.is_empty() {
                let old = load_notices(store).await.map_err(sync_failure)?;
                let all = pull::merge_notices(old, notices);
                store.write(NOTICES, &all).await.map_err(sync_failure)?;
            }
            self.refresh_site(store, token, &response.site).await?;
            // Only now: a crash before this line pulls the same changes again, harmlessly.
            store
                .write(PULL_CURSOR, &response.next_cursor)
                .await
                .map_err(sync_failure)?;
            self.host.stored();
            if !response.has_more {
                break;
            }
        }
        Ok(Pulled::Done { rotate })
    }

    async fn refresh_site(
        &self,
        store: &Rc<dyn DraftStore>,
        token: &str,
        version: &SiteVersion,
    ) -> Result<(), Failure> {
        let known = store.read(SITE_HASH).await.map_err(sync_failure)?;
        // Present, readable or not: an unreadable site is replaced only when the hash moves.
        let stored = store.get_worklist(SITE.id).await.map_err(sync_failure)?;
        if known.as_deref() == Some(version.hash.as_str()) && stored.is_some() {
            return Ok(());
        }
        let site = self
            .transport
            .site(token)
            .await
            .map_err(|e| Failure::of(&e))?;
        store.write(SITE, &site).await.map_err(sync_failure)?;
        store
            .write(SITE_HASH, &version.hash)
            .await
            .map_err(sync_failure)?;
        Ok(())
    }
}

/// Order ids the tablet holds a draft, an outbox record or a receipt for.
pub async fn held_orders(store: &Rc<dyn DraftStore>) -> Result<HashSet<String>, StorageError> {
    let drafts = crate::round::load_drafts(store).await?;
    let outbox = store.list_outbox().await?;
    let receipts = store.list_receipts().await?;
    let mut held: HashSet<String> = drafts
        .iter()
        .flat_map(|(d, _, _)| d.collection.orders().iter().map(|o| o.id.to_string()))
        .collect();
    held.extend(workflow::held_order_ids(&outbox, &receipts));
    Ok(held)
}

/// The order notices stored by earlier pulls.
pub async fn load_notices(store: &Rc<dyn DraftStore>) -> Result<Vec<OrderNotice>, StorageError> {
    Ok(store.read(NOTICES).await?.unwrap_or_default())
}

#[cfg(test)]
mod tests;
