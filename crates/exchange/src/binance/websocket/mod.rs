//! Binance WebSocket streams: public market data ([`market`]) and the user data stream
//! ([`user`]), both reconnecting with exponential backoff and jitter.

pub mod market;
pub mod user;

use std::time::Duration;

use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::BinanceConfig;

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One connected stream, split so reading and pinging do not block each other.
pub(crate) struct Conn {
    write: SplitSink<Ws, Message>,
    read: SplitStream<Ws>,
    idle: Duration,
    /// When the last frame of any kind arrived (the idle deadline counts from here, not from
    /// the last ping we sent).
    last_frame: tokio::time::Instant,
    ping: tokio::time::Interval,
}

/// What one read produced.
pub(crate) enum Read {
    /// A text frame.
    Text(String),
    /// The connection ended; the reason is in our words.
    Closed(&'static str),
}

impl Conn {
    /// Connects to `url` (`wss://` is TLS with certificate verification through rustls and
    /// the webpki roots). The error is in our words: a URL may carry a listen key.
    pub(crate) async fn open(url: &str, config: &BinanceConfig) -> Result<Self, &'static str> {
        Self::open_with(
            url,
            config.request_timeout,
            config.max_ws_message_bytes,
            config.ws_ping_interval,
            config.ws_idle_timeout,
        )
        .await
    }

    /// [`Conn::open`] with the limits given one by one (other venues' configurations).
    pub(crate) async fn open_with(
        url: &str,
        timeout: Duration,
        max_message_bytes: usize,
        ping_interval: Duration,
        idle_timeout: Duration,
    ) -> Result<Self, &'static str> {
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(max_message_bytes))
            .max_frame_size(Some(max_message_bytes));
        let connect = tokio_tungstenite::connect_async_with_config(url, Some(ws_config), true);
        let (ws, _) = match tokio::time::timeout(timeout, connect).await {
            Err(_) => return Err("connecting timed out"),
            Ok(Err(_)) => return Err("connecting failed"),
            Ok(Ok(x)) => x,
        };
        let (write, read) = ws.split();
        let mut ping = tokio::time::interval(ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.reset();
        Ok(Self {
            write,
            read,
            idle: idle_timeout,
            last_frame: tokio::time::Instant::now(),
            ping,
        })
    }

    /// The next text frame. Pings from the server are answered by tungstenite itself;
    /// we ping on our own interval; a connection silent for the idle timeout is closed.
    pub(crate) async fn next(&mut self) -> Read {
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(self.last_frame + self.idle) => {
                    return Read::Closed("no data within the idle timeout");
                }
                msg = self.read.next() => {
                    self.last_frame = tokio::time::Instant::now();
                    match msg {
                        None => return Read::Closed("the connection ended"),
                        Some(Err(_)) => return Read::Closed("the connection failed"),
                        Some(Ok(Message::Text(t))) => return Read::Text(t.as_str().to_owned()),
                        Some(Ok(Message::Close(_))) => return Read::Closed("the venue closed the connection"),
                        Some(Ok(_)) => {} // ping, pong, binary: nothing to pass on
                    }
                },
                _ = self.ping.tick() => {
                    if self.write.send(Message::Ping(Default::default())).await.is_err() {
                        return Read::Closed("sending a ping failed");
                    }
                }
            }
        }
    }

    /// Sends a text frame (subscription requests of venues that subscribe in-band).
    pub(crate) async fn send_text(&mut self, text: String) -> Result<(), &'static str> {
        self.write
            .send(Message::Text(text.into()))
            .await
            .map_err(|_| "sending a request failed")
    }

    /// Closes politely (best effort).
    pub(crate) async fn close(mut self) {
        let _ = self.write.send(Message::Close(None)).await;
    }
}
