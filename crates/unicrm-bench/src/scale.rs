//! The figures of issue #17 that run several processes: `token_rotation_lockouts` (two
//! processes sharing one rotating Capsule OAuth token through Redis) and `redis_shared_rate`
//! (four processes sharing one Insightly key through the Redis limiter). The workers are this
//! program started again with `--child <kind>`; their configuration (secrets included) comes
//! on stdin, never on the command line.

use std::io::{BufRead, BufReader, Write};
use std::num::NonZeroU32;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use unicrm_capsule::{CapsuleClient, CapsuleOAuth, OAuthSettings, TokenSet};
use unicrm_core::auth::RedisTokenStore;
use unicrm_core::http::rate_limit_redis::{RedisOutage, RedisRateLimiter};
use unicrm_core::{Crm, ListParams};
use unicrm_insightly::InsightlyClient;
use unicrm_sim::{CapsuleSim, CapsuleSimHandle, CapsuleSimOptions, FaultConfig, SeedOptions};

#[path = "../../unicrm-core/tests/support/redis_server.rs"]
mod redis_server;

use crate::emit;
use crate::figures::s;

type R<T> = Result<T, String>;

/// What a rotation worker needs.
#[derive(Serialize, Deserialize)]
struct RotateConfig {
    base_url: String,
    token_url: String,
    authorise_url: String,
    revoke_url: String,
    client_id: String,
    client_secret: String,
    access_token: String,
    refresh_token: String,
    redis_url: String,
}

/// What a rate worker needs.
#[derive(Serialize, Deserialize)]
struct RateConfig {
    base_url: String,
    api_key: String,
    redis_url: String,
    interval_us: u64,
    start_ms: u64,
    end_ms: u64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// A worker started from this executable; the first stdin line is its configuration.
struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn start(kind: &str, config: &impl Serialize) -> R<Worker> {
        let exe = std::env::current_exe().map_err(s)?;
        let mut child = Command::new(exe)
            .args(["--child", kind])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(s)?;
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
        writeln!(stdin, "{}", serde_json::to_string(config).map_err(s)?).map_err(s)?;
        Ok(Worker {
            child,
            stdin,
            stdout,
        })
    }

    fn send(&mut self, line: &str) -> R<()> {
        writeln!(self.stdin, "{line}").map_err(s)?;
        self.stdin.flush().map_err(s)
    }

    fn read(&mut self) -> R<String> {
        let mut line = String::new();
        self.stdout.read_line(&mut line).map_err(s)?;
        Ok(line.trim().to_string())
    }

    fn finish(mut self) -> R<()> {
        drop(self.stdin);
        self.child.wait().map_err(s)?;
        Ok(())
    }
}

/// Runs a worker (`--child KIND`): reads its configuration from stdin and works.
pub async fn child(kind: &str) -> R<()> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let config = lines.next().ok_or("no configuration")?.map_err(s)?;
    match kind {
        "rotate" => {
            let c: RotateConfig = serde_json::from_str(&config).map_err(s)?;
            let client = CapsuleClient::builder()
                .base_url(&c.base_url)
                .oauth(
                    OAuthSettings {
                        client_id: c.client_id,
                        client_secret: c.client_secret.into(),
                        token_url: c.token_url,
                        authorise_url: c.authorise_url,
                        revoke_url: c.revoke_url,
                    },
                    TokenSet {
                        access_token: c.access_token.into(),
                        refresh_token: Some(c.refresh_token.into()),
                        expires_at: None,
                    },
                )
                .token_store(Arc::new(
                    RedisTokenStore::new(&c.redis_url, "capsule", "bench").map_err(s)?,
                ))
                .build()
                .map_err(s)?;
            // One request per line; the answer says whether it failed (never a secret).
            for line in lines {
                line.map_err(s)?;
                let answer = match client.current_user().await {
                    Ok(_) => "ok".to_string(),
                    Err(e) => format!("err {}", e.status().unwrap_or(0)),
                };
                println!("{answer}");
            }
            Ok(())
        }
        "insightly-rate" => {
            let c: RateConfig = serde_json::from_str(&config).map_err(s)?;
            let limiter = RedisRateLimiter::new(
                &c.redis_url,
                "insightly",
                "bench",
                Duration::from_micros(c.interval_us),
                NonZeroU32::MIN,
                RedisOutage::FailClosed,
            )
            .map_err(s)?;
            let client = InsightlyClient::builder()
                .base_url(&c.base_url)
                .api_key(c.api_key)
                .rate_limiter(Arc::new(limiter))
                .build()
                .map_err(s)?;
            let params = ListParams::new().page_size(1);
            // Warm up before the window: the first listing also reads the field definitions
            // (requests through the same budget that are not listings); after it, one
            // listing is one request.
            client.contacts().list(&params).await.map_err(s)?;
            while now_ms() < c.start_ms {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let (mut ok, mut failed) = (0u64, 0u64);
            while now_ms() < c.end_ms {
                let r = client.contacts().list(&params).await;
                if now_ms() <= c.end_ms {
                    match r {
                        Ok(_) => ok += 1,
                        Err(_) => failed += 1,
                    }
                }
            }
            println!("{ok} {failed}");
            Ok(())
        }
        other => Err(format!("unknown child kind {other}")),
    }
}

fn settings(h: &CapsuleSimHandle) -> OAuthSettings {
    OAuthSettings {
        client_id: h.client_id.clone(),
        client_secret: h.client_secret.clone().into(),
        token_url: h.oauth_token_url.to_string(),
        authorise_url: h.authorise_url.to_string(),
        revoke_url: h.revoke_url.to_string(),
    }
}

/// Tokens from the simulator's authorization-code grant (it approves at once).
async fn first_tokens(h: &CapsuleSimHandle) -> R<TokenSet> {
    let oauth = CapsuleOAuth::new(&settings(h)).map_err(s)?;
    let redirect = "https://app.example/callback";
    let (url, _) = oauth
        .authorise_url(redirect, &["read", "write"])
        .map_err(s)?;
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(s)?
        .get(url.as_str())
        .send()
        .await
        .map_err(s)?;
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("no redirect")?;
    let code = url::Url::parse(location)
        .map_err(s)?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or("no code")?;
    Ok(oauth
        .exchange_code(&code, redirect)
        .await
        .map_err(s)?
        .tokens)
}

/// `token_rotation_lockouts`: two worker processes, each a Capsule client with its own
/// cache, sharing one tenant's OAuth tokens only through Redis. 1,000 times the simulator's
/// clock passes the access token's expiry and both workers send a request at once: both are
/// refused, one refreshes (the refresh token rotates), the other must use the stored pair.
/// Lock-outs (failed requests) ÷ 0; also refreshes per rotation (target exactly 1).
pub async fn token_rotation_lockouts() -> R<()> {
    const ROUNDS: u64 = 1000;
    let redis = redis_server::Redis::start_on(redis_server::free_port());
    let h = CapsuleSim::start(CapsuleSimOptions {
        seed: SeedOptions {
            seed: 3,
            records: 2,
        },
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let t = first_tokens(&h).await?;
    let config = RotateConfig {
        base_url: h.base_url.to_string(),
        token_url: h.oauth_token_url.to_string(),
        authorise_url: h.authorise_url.to_string(),
        revoke_url: h.revoke_url.to_string(),
        client_id: h.client_id.clone(),
        client_secret: h.client_secret.clone(),
        access_token: t.access_token.expose_secret().to_string(),
        refresh_token: t
            .refresh_token
            .as_ref()
            .map(|r| r.expose_secret().to_string())
            .unwrap_or_default(),
        redis_url: redis.url(),
    };
    let mut workers = [
        Worker::start("rotate", &config)?,
        Worker::start("rotate", &config)?,
    ];
    // Both workers warmed up (the store seeded) before counting.
    for w in &mut workers {
        w.send("go")?;
        if w.read()? != "ok" {
            return Err("a worker could not start".into());
        }
    }
    h.reset_stats();
    let mut lockouts = 0u64;
    for _ in 0..ROUNDS {
        h.clock().advance(Duration::from_secs(8 * 24 * 3600));
        for w in &mut workers {
            w.send("go")?;
        }
        for w in &mut workers {
            lockouts += u64::from(w.read()? != "ok");
        }
    }
    for w in workers {
        w.finish()?;
    }
    let refreshes = h
        .stats()
        .per_path
        .get("POST /oauth/token")
        .copied()
        .unwrap_or(0);
    emit(
        "token_rotation_lockouts",
        lockouts as f64,
        "failed requests",
        0.0,
        "== 0",
    );
    emit(
        "token_rotation_lockouts.refreshes",
        refreshes as f64,
        "refreshes",
        ROUNDS as f64,
        "== 1",
    );
    h.shutdown().await;
    Ok(())
}

/// `redis_shared_rate`: four worker processes share one Insightly key (one simulator with
/// its strict sliding 10 req/s window, 20 ms latency) through one Redis GCRA budget at one
/// request per 102 ms, for 8 s, after one warm-up listing each (it caches the field
/// definitions). Combined successful listings/s (one request each) ÷ 10 (target ≥ 0.95) and
/// the simulator's 429 count (target 0).
pub async fn redis_shared_rate() -> R<()> {
    const WORKERS: usize = 4;
    let redis = redis_server::Redis::start_on(redis_server::free_port());
    let sim = unicrm_sim::InsightlySim::start(unicrm_sim::InsightlySimOptions {
        seed: SeedOptions {
            seed: 9,
            records: 50,
        },
        requests_per_second: 10,
        daily_quota: 10_000_000,
        faults: FaultConfig {
            latency_ms: 20,
            ..Default::default()
        },
        ..Default::default()
    })
    .await
    .map_err(s)?;
    let start_ms = now_ms() + 2_000;
    let end_ms = start_ms + 8_000;
    let config = RateConfig {
        base_url: sim.base_url.to_string(),
        api_key: sim.api_key.clone(),
        redis_url: redis.url(),
        interval_us: 102_000,
        start_ms,
        end_ms,
    };
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        workers.push(Worker::start("insightly-rate", &config)?);
    }
    while now_ms() < start_ms {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sim.reset_stats();
    let (mut ok, mut failed) = (0u64, 0u64);
    for mut w in workers {
        let line = w.read()?;
        let mut parts = line
            .split_whitespace()
            .map(|p| p.parse::<u64>().unwrap_or(0));
        ok += parts.next().unwrap_or(0);
        failed += parts.next().unwrap_or(0);
        w.finish()?;
    }
    let rate = ok as f64 / ((end_ms - start_ms) as f64 / 1000.0);
    emit("redis_shared_rate", rate, "requests/s", 10.0, ">= 0.95");
    emit(
        "redis_shared_rate.429s",
        sim.stats().rate_limited as f64,
        "responses",
        0.0,
        "== 0",
    );
    emit(
        "redis_shared_rate.failed",
        failed as f64,
        "requests",
        0.0,
        "== 0",
    );
    sim.shutdown().await;
    Ok(())
}
