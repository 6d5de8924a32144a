//! Model-based convergence of the Capsule change feeds against the simulator (shared by the
//! `feed_convergence` test and the `feed_soak` example).
//!
//! Raw-HTTP writers (plain reqwest against the simulator's wire API, acting as other users)
//! create, update and delete people and tasks while the contact and task feeds are polled
//! again and again across multi-page listings under latency. After the writers stop and one
//! final poll, the replica built only from the feeds is compared with a fresh full listing
//! read by raw HTTP: stale (same id, other content), missing (at the vendor, not in the
//! replica) and ghost (in the replica, gone at the vendor) records are counted.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Value, json};
use unicrm_capsule::CapsuleClient;
use unicrm_core::{Change, Checkpoint, Contact, CrmExt, Record, Task};
use unicrm_sim::{CapsuleSim, CapsuleSimOptions, FaultConfig, SeedOptions};

/// One run's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Seeds the simulator's data, its latency jitter and the writers' choices.
    pub seed: u64,
    /// Seed records (people; tasks are about half as many).
    pub records: usize,
    /// Concurrent writers.
    pub writers: usize,
    /// Writes per writer.
    pub ops_per_writer: usize,
    /// Fixed latency of every simulator response.
    pub latency_ms: u64,
    /// Random extra latency.
    pub jitter_ms: u64,
    /// Page size of the feeds' listings.
    pub page_size: u32,
    /// Pause of each writer between two writes (spreads the writes over many polls).
    pub pause_ms: u64,
}

impl Config {
    /// The CI configuration for `seed`.
    pub fn ci(seed: u64) -> Self {
        Config {
            seed,
            records: 40,
            writers: 3,
            ops_per_writer: 80,
            latency_ms: 10,
            jitter_ms: 15,
            page_size: 7,
            pause_ms: 25,
        }
    }
}

/// How far a replica is from the vendor.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Diff {
    /// Records at the vendor.
    pub vendor: usize,
    /// Records in the replica.
    pub replica: usize,
    /// Same id, other content.
    pub stale: usize,
    /// At the vendor, not in the replica.
    pub missing: usize,
    /// In the replica, not at the vendor.
    pub ghost: usize,
}

impl Diff {
    /// Whether the replica equals the vendor.
    pub fn converged(&self) -> bool {
        self.stale == 0 && self.missing == 0 && self.ghost == 0
    }
}

/// One run's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// The seed.
    pub seed: u64,
    /// Writes sent by the writers (successful ones).
    pub writes: u64,
    /// Writes refused (e.g. an update of a record another writer had deleted).
    pub refused_writes: u64,
    /// Feed polls (contacts + tasks), the final ones included.
    pub polls: u64,
    /// Contacts.
    pub contacts: Diff,
    /// Tasks (an id-scan feed).
    pub tasks: Diff,
}

impl Figures {
    /// Whether both replicas equal the vendor.
    pub fn converged(&self) -> bool {
        self.contacts.converged() && self.tasks.converged()
    }
}

/// A small deterministic generator (xorshift64*), one per writer.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Every record of a raw listing, following `Link: next`.
async fn raw_all(http: &reqwest::Client, token: &str, url: String, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(url);
    while let Some(u) = next.take() {
        let resp = http.get(&u).bearer_auth(token).send().await.unwrap();
        let link = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body: Value = resp.json().await.unwrap();
        out.extend(body[key].as_array().cloned().unwrap_or_default());
        next = link.and_then(|l| {
            l.split(',')
                .find(|p| p.contains("rel=\"next\""))
                .and_then(|p| Some(p[p.find('<')? + 1..p.find('>')?].to_string()))
        });
    }
    out
}

fn id_of(v: &Value) -> u64 {
    v["id"].as_u64().unwrap_or(0)
}

struct Writer {
    http: reqwest::Client,
    base: String,
    token: String,
    people: Arc<Mutex<Vec<u64>>>,
    tasks: Arc<Mutex<Vec<u64>>>,
    writes: Arc<AtomicU64>,
    refused: Arc<AtomicU64>,
}

impl Writer {
    fn pick(pool: &Mutex<Vec<u64>>, rng: &mut Rng, remove: bool) -> Option<u64> {
        let mut p = pool.lock().unwrap();
        if p.is_empty() {
            return None;
        }
        let i = rng.below(p.len());
        Some(if remove { p.swap_remove(i) } else { p[i] })
    }

    async fn send(&self, req: reqwest::RequestBuilder, body: Option<Value>) -> Option<Value> {
        let req = req.bearer_auth(&self.token);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        match req.send().await {
            Ok(r) if r.status().is_success() => {
                self.writes.fetch_add(1, Ordering::Relaxed);
                r.json::<Value>().await.ok().or(Some(Value::Null))
            }
            _ => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    async fn run(self, seed: u64, ops: usize, pause: std::time::Duration) {
        let mut rng = Rng::new(seed);
        for n in 0..ops {
            tokio::time::sleep(pause).await;
            let tag = format!("{seed}-{n}");
            let roll = rng.below(100);
            let (pool, entity, wrapper) = if roll < 65 {
                (&self.people, "parties", "party")
            } else {
                (&self.tasks, "tasks", "task")
            };
            let r = rng.below(100);
            if r < 20 {
                let body = if entity == "parties" {
                    json!({"party": {"type": "person", "firstName": "W", "lastName": tag}})
                } else {
                    json!({"task": {"description": tag, "dueOn": "2026-01-01"}})
                };
                let url = format!("{}/{entity}", self.base);
                if let Some(v) = self.send(self.http.post(url), Some(body)).await {
                    pool.lock().unwrap().push(id_of(&v[wrapper]));
                }
            } else if r < 35 {
                if let Some(id) = Self::pick(pool, &mut rng, true) {
                    let url = format!("{}/{entity}/{id}", self.base);
                    self.send(self.http.delete(url), None).await;
                }
            } else if let Some(id) = Self::pick(pool, &mut rng, false) {
                let body = if entity == "parties" {
                    json!({"party": {"about": tag}})
                } else {
                    json!({"task": {"description": tag}})
                };
                let url = format!("{}/{entity}/{id}", self.base);
                self.send(self.http.put(url), Some(body)).await;
            }
        }
    }
}

fn apply<R: Record + HasRaw>(
    replica: &mut BTreeMap<String, Value>,
    changes: Vec<Change<R, R::Id>>,
) {
    for c in changes {
        match c {
            Change::Upserted { record } => {
                replica.insert(record.id().to_string(), record.raw_value());
            }
            Change::Deleted { id, .. } => {
                replica.remove(&id.to_string());
            }
            _ => {}
        }
    }
}

/// The vendor JSON a record was read from.
pub trait HasRaw {
    /// The raw payload as a value.
    fn raw_value(&self) -> Value;
}

impl HasRaw for Contact {
    fn raw_value(&self) -> Value {
        self.raw.as_ref().map(|r| r.to_value()).unwrap_or_default()
    }
}

impl HasRaw for Task {
    fn raw_value(&self) -> Value {
        self.raw.as_ref().map(|r| r.to_value()).unwrap_or_default()
    }
}

fn diff(vendor: &[Value], replica: &BTreeMap<String, Value>) -> Diff {
    let truth: BTreeMap<String, &Value> =
        vendor.iter().map(|v| (id_of(v).to_string(), v)).collect();
    Diff {
        vendor: truth.len(),
        replica: replica.len(),
        stale: truth
            .iter()
            .filter(|(id, v)| replica.get(*id).is_some_and(|r| r != **v))
            .count(),
        missing: truth.keys().filter(|id| !replica.contains_key(*id)).count(),
        ghost: replica.keys().filter(|id| !truth.contains_key(*id)).count(),
    }
}

/// Runs one seed (see the module docs).
pub async fn run(cfg: Config) -> Figures {
    let sim = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: cfg.seed,
            records: cfg.records,
        },
        faults: FaultConfig {
            seed: cfg.seed,
            latency_ms: cfg.latency_ms,
            jitter_ms: cfg.jitter_ms,
            ..FaultConfig::default()
        },
        hourly_budget: 10_000_000,
        ..CapsuleSimOptions::default()
    })
    .await
    .unwrap();
    let base = sim.base_url.as_str().trim_end_matches('/').to_string();
    unicrm_core::http::install_crypto_provider();
    let http = reqwest::Client::new();
    let people_url = format!("{base}/parties?perPage=100&embed=tags,fields");
    let tasks_url = format!("{base}/tasks?perPage=100&status=open,completed,pending");
    let people: Vec<u64> = raw_all(&http, &sim.token, people_url.clone(), "parties")
        .await
        .iter()
        .filter(|p| p["type"] == "person")
        .map(id_of)
        .collect();
    let tasks: Vec<u64> = raw_all(&http, &sim.token, tasks_url.clone(), "tasks")
        .await
        .iter()
        .map(id_of)
        .collect();

    let client = CapsuleClient::builder()
        .base_url(sim.base_url.as_str())
        .personal_access_token(sim.token.clone())
        .change_page_size(cfg.page_size)
        .build()
        .unwrap();

    let people = Arc::new(Mutex::new(people));
    let tasks = Arc::new(Mutex::new(tasks));
    let writes = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let users = sim.user_ids();
    let writer_handles: Vec<_> = (0..cfg.writers)
        .map(|w| {
            let user = users[(w + 1) % users.len()];
            let writer = Writer {
                http: http.clone(),
                base: base.clone(),
                token: sim.mint_pat(user),
                people: people.clone(),
                tasks: tasks.clone(),
                writes: writes.clone(),
                refused: refused.clone(),
            };
            tokio::spawn(writer.run(
                cfg.seed * 1000 + w as u64,
                cfg.ops_per_writer,
                std::time::Duration::from_millis(cfg.pause_ms),
            ))
        })
        .collect();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        tokio::spawn(async move {
            for h in writer_handles {
                h.await.unwrap();
            }
            done.store(true, Ordering::SeqCst);
        })
    };

    let start = Checkpoint::at(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    let (mut cp_people, mut cp_tasks) = (start.clone(), start);
    let mut replica_people = BTreeMap::new();
    let mut replica_tasks = BTreeMap::new();
    let mut polls = 0u64;
    loop {
        // Read before polling: the poll after the writers are done is the final one.
        let finished = done.load(Ordering::SeqCst);
        let set = client.changes_since::<Contact>(&cp_people).await.unwrap();
        apply(&mut replica_people, set.changes);
        cp_people = set.next;
        let set = client.changes_since::<Task>(&cp_tasks).await.unwrap();
        apply(&mut replica_tasks, set.changes);
        cp_tasks = set.next;
        polls += 2;
        if finished {
            break;
        }
    }
    watcher.await.unwrap();

    let truth_people: Vec<Value> = raw_all(&http, &sim.token, people_url, "parties")
        .await
        .into_iter()
        .filter(|p| p["type"] == "person")
        .collect();
    let truth_tasks = raw_all(&http, &sim.token, tasks_url, "tasks").await;
    let figures = Figures {
        seed: cfg.seed,
        writes: writes.load(Ordering::Relaxed),
        refused_writes: refused.load(Ordering::Relaxed),
        polls,
        contacts: diff(&truth_people, &replica_people),
        tasks: diff(&truth_tasks, &replica_tasks),
    };
    sim.shutdown().await;
    figures
}
