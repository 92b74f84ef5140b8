//! Simulated phones for the sync properties, the concurrency test and the sync benchmark: a
//! deterministic random stream, a flaky network around any [`Transport`], and the reference
//! client's blocking HTTP transport pointed at a [`TestApp`](crate::TestApp).
//!
//! The blocking transport runs its own small runtime: use it from a plain thread (a proptest
//! body, a benchmark's main thread, `std::thread::scope`), never from inside an async runtime.

use std::time::Duration;

use tianzhang_sync::client::{HttpTransport, Transport, TransportError};
use tianzhang_sync::messages::{
    DeviceState, PullResponse, PushRequest, PushResponse, RegisterDevice, SyncInfo,
};
use uuid::Uuid;

/// SplitMix64: a tiny, fast, seedable stream of numbers. Everything random in a simulation
/// comes from one of these, so that a seed replays the same run.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A random (version 4) UUID drawn from this stream.
    pub fn uuid(&mut self) -> Uuid {
        let high = u128::from(self.next_u64());
        let low = u128::from(self.next_u64());
        uuid::Builder::from_random_bytes(((high << 64) | low).to_be_bytes()).into_uuid()
    }
}

/// How often each fault strikes a call, each a probability in `[0, 1]`; at most one fault
/// strikes a call.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FaultRates {
    /// The request never reaches the server.
    pub drop_request: f64,
    /// The server acts, and its answer is lost.
    pub drop_response: f64,
    /// The request arrives twice; the second answer is returned.
    pub duplicate: f64,
}

impl FaultRates {
    pub const NONE: FaultRates = FaultRates {
        drop_request: 0.0,
        drop_response: 0.0,
        duplicate: 0.0,
    };

    /// Every fault at the same rate.
    pub fn uniform(rate: f64) -> FaultRates {
        FaultRates {
            drop_request: rate,
            drop_response: rate,
            duplicate: rate,
        }
    }
}

/// A fault the network inflicted on a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    DropRequest,
    DropResponse,
    Duplicate,
}

/// The four sync endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Call {
    Info,
    Register,
    Push,
    Pull,
}

/// A pull whose answer reached the client.
#[derive(Debug, Clone)]
pub struct DeliveredPull {
    pub cursor: Option<String>,
    /// The limit sent (after the page cap).
    pub limit: u32,
    pub device_id: Option<Uuid>,
    pub response: PullResponse,
}

/// A push whose answer reached the client.
#[derive(Debug, Clone)]
pub struct DeliveredPush {
    pub request: PushRequest,
    pub response: PushResponse,
}

/// A network between a client and the server that loses requests and answers and delivers
/// requests twice, at rates drawn from a seeded stream. It records every answer that reached
/// the client, for tests to check what the client was told.
pub struct FlakyTransport<T> {
    inner: T,
    rng: SplitMix64,
    rates: FaultRates,
    page_cap: Option<u32>,
    /// Every fault inflicted, in order.
    pub faults: Vec<(Call, Fault)>,
    pub pulls: Vec<DeliveredPull>,
    pub pushes: Vec<DeliveredPush>,
}

impl<T: Transport> FlakyTransport<T> {
    pub fn new(inner: T, seed: u64, rates: FaultRates) -> FlakyTransport<T> {
        FlakyTransport {
            inner,
            rng: SplitMix64::new(seed),
            rates,
            page_cap: None,
            faults: Vec::new(),
            pulls: Vec::new(),
            pushes: Vec::new(),
        }
    }

    /// Pulls ask for at most `cap` changes, whatever the client asks: small pages put page
    /// boundaries everywhere.
    pub fn with_page_cap(mut self, cap: Option<u32>) -> FlakyTransport<T> {
        self.page_cap = cap;
        self
    }

    pub fn set_rates(&mut self, rates: FaultRates) {
        self.rates = rates;
    }

    /// No more faults from now on.
    pub fn heal(&mut self) {
        self.rates = FaultRates::NONE;
    }

    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    fn draw(&mut self) -> Option<Fault> {
        let FaultRates {
            drop_request,
            drop_response,
            duplicate,
        } = self.rates;
        if drop_request + drop_response + duplicate <= 0.0 {
            return None;
        }
        let x = self.rng.unit();
        if x < drop_request {
            Some(Fault::DropRequest)
        } else if x < drop_request + drop_response {
            Some(Fault::DropResponse)
        } else if x < drop_request + drop_response + duplicate {
            Some(Fault::Duplicate)
        } else {
            None
        }
    }

    fn call<R>(
        &mut self,
        call: Call,
        mut send: impl FnMut(&mut T) -> Result<R, TransportError>,
    ) -> Result<R, TransportError> {
        let fault = self.draw();
        if let Some(fault) = fault {
            self.faults.push((call, fault));
        }
        match fault {
            None => send(&mut self.inner),
            Some(Fault::DropRequest) => Err(TransportError::Network(
                "simulated: the request was lost".into(),
            )),
            Some(Fault::DropResponse) => {
                let _ = send(&mut self.inner);
                Err(TransportError::Network(
                    "simulated: the response was lost".into(),
                ))
            }
            Some(Fault::Duplicate) => {
                let _ = send(&mut self.inner);
                send(&mut self.inner)
            }
        }
    }
}

impl<T: Transport> Transport for FlakyTransport<T> {
    fn info(&mut self) -> Result<SyncInfo, TransportError> {
        self.call(Call::Info, |t| t.info())
    }

    fn register(&mut self, req: &RegisterDevice) -> Result<DeviceState, TransportError> {
        self.call(Call::Register, |t| t.register(req))
    }

    fn push(&mut self, req: &PushRequest) -> Result<PushResponse, TransportError> {
        let response = self.call(Call::Push, |t| t.push(req))?;
        self.pushes.push(DeliveredPush {
            request: req.clone(),
            response: response.clone(),
        });
        Ok(response)
    }

    fn pull(
        &mut self,
        cursor: Option<&str>,
        limit: u32,
        device_id: Option<Uuid>,
    ) -> Result<PullResponse, TransportError> {
        let limit = self.page_cap.map_or(limit, |cap| limit.min(cap));
        let response = self.call(Call::Pull, |t| t.pull(cursor, limit, device_id))?;
        self.pulls.push(DeliveredPull {
            cursor: cursor.map(str::to_owned),
            limit,
            device_id,
            response: response.clone(),
        });
        Ok(response)
    }
}

/// A blocking HTTP client for the reference client's transport. Build it, use it and drop it
/// outside any async runtime.
pub fn blocking_http_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("blocking HTTP client")
}

/// The reference client's transport to a test server, as a user.
pub fn http_transport(
    address: &str,
    access_token: &str,
    http: &reqwest::blocking::Client,
) -> HttpTransport {
    HttpTransport::new(address, access_token, http.clone())
}

/// The change number inside a pull cursor (`1.<scope>.<seq>`). Cursors are opaque to devices;
/// tests may look inside.
pub fn cursor_seq(cursor: &str) -> u64 {
    cursor
        .rsplit_once('.')
        .and_then(|(_, seq)| seq.parse().ok())
        .unwrap_or_else(|| panic!("cursor {cursor:?} is not 1.<scope>.<seq>"))
}

/// A runtime for the async set-up of a test app from a synchronous test (a proptest body, a
/// benchmark). The server itself runs on a thread of its own.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_the_same_stream() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let xs: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert!((0..1000).all(|_| a.unit() < 1.0 && a.below(3) < 3));
        assert_eq!(SplitMix64::new(1).uuid(), SplitMix64::new(1).uuid());
    }

    #[test]
    fn cursors_carry_their_number_last() {
        assert_eq!(cursor_seq("1.0a1b2c3d4e5f.42"), 42);
    }
}
