//! The bus: numbered notices between the instances that share a store (the web tier's tag
//! revalidations travel on it).
//!
//! Redis pub/sub keeps nothing for a subscriber that is away, so every notice carries the next
//! value of a counter kept in Redis, incremented and published by one script. An instance that
//! sees a gap in the numbers, or (re)subscribes, may have missed notices and must act as if it
//! missed them all ([`BusEvent::Resync`]). The in-process store has no other instance to tell.

use std::sync::{Arc, Weak};
use std::time::Duration;

use fred::clients::Client;
use fred::interfaces::{ClientLike, EventInterface, PubsubInterface};
use fred::types::{CustomCommand, Value};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::mpsc;

use super::{Cache, Inner};
use crate::store::Store;

/// Pause before retrying a subscription that failed.
const RETRY: Duration = Duration::from_millis(500);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusEvent {
    /// The `epoch`-th notice published on the bus, by any instance (this one included).
    Notice { epoch: u64, payload: String },
    /// Subscribed, for the first time or after a reconnect: `epoch` is the last notice
    /// published, and any notice up to it may have been missed.
    Resync { epoch: u64 },
}

/// The number of the last notice published, as the store says now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BusEpoch {
    /// The in-process store: no other instance publishes.
    Alone,
    At(u64),
    /// The store cannot be asked now (an outage, or the breaker is open).
    Unknown,
}

impl Cache {
    /// Publishes `payload` to every instance subscribed to the bus, this one included. `false`
    /// when the store could not be reached (the caller keeps the notice and tries again).
    pub async fn broadcast(&self, payload: &str) -> bool {
        match &self.inner.store {
            Store::Memory(_) => true,
            Store::Redis(redis) => {
                !self.inner.breaker.is_open()
                    && self
                        .call("broadcast", None, redis.broadcast(payload))
                        .await
                        .is_ok()
            }
        }
    }

    /// The last notice's number: one `GET`, so a reader can tell whether it has applied every
    /// notice published before it asked.
    pub async fn bus_epoch(&self) -> BusEpoch {
        match &self.inner.store {
            Store::Memory(_) => BusEpoch::Alone,
            Store::Redis(_) if self.inner.breaker.is_open() => BusEpoch::Unknown,
            Store::Redis(redis) => match self.call("bus_epoch", None, redis.bus_epoch()).await {
                Ok(epoch) => BusEpoch::At(epoch),
                Err(_) => BusEpoch::Unknown,
            },
        }
    }

    /// [`bus_epoch`](Self::bus_epoch) as read by a `GET` that started after this call: what
    /// a request must have applied to be fresh. Concurrent callers share reads (the page
    /// requests and near-cache reads of one moment cost about two `GET`s together).
    pub async fn bus_epoch_since_now(&self) -> BusEpoch {
        self.inner.epoch.get(|| self.bus_epoch()).await
    }

    /// The bus's notices, from a subscription that follows reconnects, on a connection named
    /// `strata-bus-<listener>:<channel>` in `CLIENT LIST`. `None` for the in-process store. The
    /// subscription ends when the cache is dropped.
    pub fn subscribe(&self, listener: &'static str) -> Option<mpsc::Receiver<BusEvent>> {
        let Store::Redis(redis) = &self.inner.store else {
            return None;
        };
        let client = match redis.subscriber() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!(target: "strata_cache::bus", %error, "cannot create the bus subscriber");
                return None;
            }
        };
        let (tx, rx) = mpsc::channel(1024);
        let task = tokio::spawn(listen(
            Arc::downgrade(&self.inner),
            client,
            redis.bus_channel().to_owned(),
            listener,
            tx,
        ));
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(task);
        Some(rx)
    }
}

async fn listen(
    inner: Weak<Inner>,
    client: Client,
    channel: String,
    listener: &'static str,
    tx: mpsc::Sender<BusEvent>,
) {
    let mut messages = client.message_rx();
    let mut reconnects = client.reconnect_rx();
    loop {
        if client.wait_for_connect().await.is_err() {
            tokio::time::sleep(RETRY).await;
            continue;
        }
        // Named so operators (and tests) can tell the bus's connections apart in CLIENT LIST.
        let name = format!("strata-bus-{listener}:{channel}");
        // On a cluster fred subscribes on the node of the client id's slot; name that one.
        let slot = client
            .is_clustered()
            .then(|| fred::util::redis_keyslot(client.id().as_bytes()));
        let named: Result<Value, _> = client
            .custom(
                CustomCommand::new_static("CLIENT", slot, false),
                vec!["SETNAME", name.as_str()],
            )
            .await;
        if let Err(error) = named {
            tracing::debug!(target: "strata_cache::bus", %error, "cannot name the bus connection");
        }
        // Subscribe first, then read the epoch: a notice published after the read arrives.
        if let Err(error) = client.subscribe(channel.as_str()).await {
            tracing::warn!(target: "strata_cache::bus", %error, "bus subscription failed; retrying");
            tokio::time::sleep(RETRY).await;
            continue;
        }
        let Some(cache) = inner.upgrade().map(|inner| Cache { inner }) else {
            return;
        };
        let BusEpoch::At(epoch) = cache.bus_epoch().await else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        drop(cache);
        // Connections made up to now (the first one included) are covered by this resync.
        while !matches!(
            reconnects.try_recv(),
            Err(TryRecvError::Empty | TryRecvError::Closed)
        ) {}
        tracing::info!(target: "strata_cache::bus", epoch, "subscribed to the bus");
        if tx.send(BusEvent::Resync { epoch }).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                message = messages.recv() => match message {
                    Ok(message) => {
                        let Some(notice) = message.value.as_string().as_deref().and_then(parse) else {
                            tracing::warn!(target: "strata_cache::bus", "ignoring a malformed bus message");
                            continue;
                        };
                        if tx.send(notice).await.is_err() {
                            return;
                        }
                    }
                    // Notices were dropped here: resubscribe, which resyncs.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return,
                },
                reconnected = reconnects.recv() => match reconnected {
                    Ok(_) | Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return,
                },
            }
        }
    }
}

fn parse(message: &str) -> Option<BusEvent> {
    let (epoch, payload) = message.split_once('\n')?;
    Some(BusEvent::Notice {
        epoch: epoch.parse().ok()?,
        payload: payload.to_owned(),
    })
}
