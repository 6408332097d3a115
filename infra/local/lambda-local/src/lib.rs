//! A Lambda Runtime API of the project's own (the `2018-06-01` interface a custom runtime
//! polls), to run a function's built `bootstrap` the way Lambda runs it: as its own process,
//! with the environment `template.yaml` gives the function, fetching each invocation from
//! `/runtime/invocation/next` with a real `Lambda-Runtime-Deadline-Ms` header (or a missing or
//! odd one, on request), and answering on `/response` or `/error`.
//!
//! An arm64 bootstrap (what `sam build` produces) runs under `qemu-aarch64` on an x86_64 host;
//! set `AUTOPILOT_QEMU` (and `AUTOPILOT_QEMU_LD_PREFIX`, the arm64 C library) as
//! `infra/deploy/build.sh tools` prints them.
//!
//! Why not `cargo lambda watch`: it builds from source instead of running the artifact, and it
//! sends a fixed deadline of 600000 ms since the epoch (1970).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use serde_yaml::Value as Yaml;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("template.yaml: {0}")]
    Template(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the function process exited ({status}) before answering invocation {request_id}")]
    Exited { status: String, request_id: String },
    #[error("no answer to invocation {request_id} within {waited:?}")]
    Timeout { request_id: String, waited: Duration },
    #[error("the function reported an init error: {0}")]
    InitError(String),
}

/// A function as the template declares it: its build artifact, environment and timeout.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The template's logical id (`OrderEventsFunction`).
    pub logical_id: String,
    /// The `Binary` cargo-lambda builds for it (`order-events`).
    pub binary: String,
    pub bootstrap: PathBuf,
    pub environment: BTreeMap<String, String>,
    pub timeout: Duration,
    pub memory_mb: u64,
}

/// Values for the template references a function's environment uses (`!Ref Table`,
/// `!Ref EventBus`, `!Ref AlertSender`...): the local stack's names for them.
pub type References = BTreeMap<String, String>;

impl FunctionSpec {
    /// The function `name` (logical id or binary) of `template`, its bootstrap at
    /// `<artifacts>/<logical id>/bootstrap` (the layout `sam build` leaves), its environment
    /// with each `!Ref` resolved from `references` (or the parameter's default).
    pub fn from_template(
        template: &Path,
        artifacts: &Path,
        name: &str,
        references: &References,
    ) -> Result<Self, LocalError> {
        let text = std::fs::read_to_string(template)
            .map_err(|source| LocalError::Io { path: template.display().to_string(), source })?;
        let doc: Yaml = serde_yaml::from_str(&text).map_err(|e| LocalError::Template(e.to_string()))?;
        let resources = doc["Resources"].as_mapping().ok_or_else(|| LocalError::Template("no Resources".into()))?;
        let (logical_id, function) = resources
            .iter()
            .find(|(id, r)| {
                r["Type"].as_str() == Some("AWS::Serverless::Function")
                    && (id.as_str() == Some(name) || r["Metadata"]["BuildProperties"]["Binary"].as_str() == Some(name))
            })
            .ok_or_else(|| LocalError::Template(format!("no function named {name}")))?;
        let logical_id = logical_id.as_str().unwrap_or_default().to_string();
        let globals = &doc["Globals"]["Function"];
        let property = |key: &str| {
            let own = &function["Properties"][key];
            if own.is_null() { globals[key].clone() } else { own.clone() }
        };
        let mut environment = BTreeMap::new();
        for source in [&globals["Environment"]["Variables"], &function["Properties"]["Environment"]["Variables"]] {
            for (key, value) in source.as_mapping().into_iter().flatten() {
                let key = key.as_str().unwrap_or_default().to_string();
                let value = resolve(&doc, value, references)
                    .ok_or_else(|| LocalError::Template(format!("{logical_id}: cannot resolve {key} = {value:?}")))?;
                environment.insert(key, value);
            }
        }
        let timeout =
            property("Timeout").as_u64().ok_or_else(|| LocalError::Template(format!("{logical_id}: no Timeout")))?;
        Ok(Self {
            binary: function["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_default().to_string(),
            bootstrap: artifacts.join(&logical_id).join("bootstrap"),
            environment,
            timeout: Duration::from_secs(timeout),
            memory_mb: property("MemorySize").as_u64().unwrap_or(128),
            logical_id,
        })
    }
}

/// A template value as a string: a literal, or a `!Ref` to a resource (from `references`) or to
/// a parameter (from `references`, else its default).
fn resolve(doc: &Yaml, value: &Yaml, references: &References) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Tagged(t) if t.tag == "Ref" => {
            let name = t.value.as_str()?;
            references.get(name).cloned().or_else(|| resolve(doc, &doc["Parameters"][name]["Default"], references))
        }
        _ => None,
    }
}

/// The deadline header an invocation carries.
#[derive(Debug, Clone, Copy)]
pub enum Deadline {
    /// What Lambda sends: now plus the function's timeout.
    Timeout,
    /// Exactly this many milliseconds since the epoch (`cargo lambda watch` sends 600000).
    EpochMillis(u64),
    /// No header at all.
    Missing,
}

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `/response`: the handler's answer.
    Response(Value),
    /// `/error`: the `Diagnostic` (`errorType`, `errorMessage`).
    Error { error_type: String, error_message: String },
}

#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub outcome: Outcome,
    /// From handing the event over to the answer.
    pub duration: Duration,
}

struct Pending {
    request_id: String,
    payload: Bytes,
    deadline: Deadline,
    timeout: Duration,
}

#[derive(Default)]
struct Shared {
    answers: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    init_error: Mutex<Option<String>>,
    /// When the process first asked for an invocation (the end of its init), and its resident
    /// memory then.
    first_next: Mutex<Option<(Instant, Option<u64>)>>,
    pid: Mutex<Option<u32>>,
}

struct Api {
    next: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    shared: Arc<Shared>,
    function_arn: String,
}

/// A function process under the Runtime API, alive until dropped or [`LocalLambda::stop`]ped.
pub struct LocalLambda {
    spec: FunctionSpec,
    queue: mpsc::Sender<Pending>,
    shared: Arc<Shared>,
    child: Child,
    logs: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
    /// From spawning the process to its first `/next` (init).
    pub started: Instant,
}

impl LocalLambda {
    /// Starts the Runtime API on a free 127.0.0.1 port and the function's process on it, with
    /// the spec's environment plus what Lambda sets (`AWS_LAMBDA_RUNTIME_API`, the function's
    /// name, memory, region) and `extra` (endpoints of the local stack, log level).
    pub async fn start(spec: FunctionSpec, extra: &BTreeMap<String, String>) -> Result<Self, LocalError> {
        let (queue, receiver) = mpsc::channel(16);
        let shared = Arc::new(Shared::default());
        let api = Arc::new(Api {
            next: tokio::sync::Mutex::new(receiver),
            shared: shared.clone(),
            function_arn: format!("arn:aws:lambda:us-east-1:000000000000:function:{}", spec.logical_id),
        });
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|source| LocalError::Io { path: "127.0.0.1:0".into(), source })?;
        let address = listener.local_addr().map_err(|source| LocalError::Io { path: "listener".into(), source })?;
        let router = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(fail))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(api);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });

        let mut command =
            match std::env::var("AUTOPILOT_QEMU").ok().filter(|q| !q.is_empty() && is_arm64(&spec.bootstrap)) {
                Some(qemu) => {
                    let mut command = Command::new(qemu);
                    if let Ok(prefix) = std::env::var("AUTOPILOT_QEMU_LD_PREFIX") {
                        command.arg("-L").arg(prefix);
                    }
                    command.arg(&spec.bootstrap);
                    command
                }
                None => Command::new(&spec.bootstrap),
            };
        command
            .env_clear()
            .envs(&spec.environment)
            .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &spec.logical_id)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", spec.memory_mb.to_string())
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .envs(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child =
            command.spawn().map_err(|source| LocalError::Io { path: spec.bootstrap.display().to_string(), source })?;
        if let Ok(mut pid) = shared.pid.lock() {
            *pid = child.id();
        }
        let logs = Arc::new(Mutex::new(Vec::new()));
        if let Some(out) = child.stdout.take() {
            tokio::spawn(collect(out, logs.clone()));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(collect(err, logs.clone()));
        }
        Ok(Self { spec, queue, shared, child, logs, server, started })
    }

    /// Hands `payload` to the function and waits for its answer (at most the timeout plus a
    /// minute: emulation is slow).
    pub async fn invoke(&mut self, payload: &Value, deadline: Deadline) -> Result<Invocation, LocalError> {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.shared.answers.lock().map_err(|_| LocalError::InitError("lock".into()))?.insert(request_id.clone(), tx);
        let pending = Pending {
            request_id: request_id.clone(),
            payload: Bytes::from(payload.to_string()),
            deadline,
            timeout: self.spec.timeout,
        };
        let begun = Instant::now();
        let _ = self.queue.send(pending).await;
        let waited = self.spec.timeout + Duration::from_secs(60);
        let mut rx = std::pin::pin!(rx);
        let answer = tokio::select! {
            answer = &mut rx => answer.ok(),
            status = self.child.wait() => {
                // The process ended: take an answer it sent just before, if any.
                match rx.try_recv() {
                    Ok(outcome) => Some(outcome),
                    Err(_) => {
                        let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                        return Err(self.init_error().unwrap_or(LocalError::Exited { status, request_id }));
                    }
                }
            }
            _ = tokio::time::sleep(waited) => return Err(LocalError::Timeout { request_id, waited }),
        };
        let outcome = answer
            .ok_or_else(|| LocalError::Exited { status: "answer dropped".into(), request_id: request_id.clone() })?;
        Ok(Invocation { request_id, outcome, duration: begun.elapsed() })
    }

    /// From spawning the process to its first `/runtime/invocation/next` (Lambda's init
    /// phase), once it has asked; with its resident memory (bytes, from `/proc`) at that moment.
    pub fn init(&self) -> Option<(Duration, Option<u64>)> {
        let (at, rss) = (*self.shared.first_next.lock().ok()?)?;
        Some((at.duration_since(self.started), rss))
    }

    /// Waits (at most `limit`) for the process to finish its init: its first `/next`.
    pub async fn wait_init(&mut self, limit: Duration) -> Result<(Duration, Option<u64>), LocalError> {
        let begun = Instant::now();
        loop {
            if let Some(init) = self.init() {
                return Ok(init);
            }
            if !self.running() {
                return Err(self
                    .init_error()
                    .unwrap_or(LocalError::Exited { status: "exited during init".into(), request_id: "none".into() }));
            }
            if begun.elapsed() > limit {
                return Err(LocalError::Timeout { request_id: "init".into(), waited: limit });
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }

    fn init_error(&self) -> Option<LocalError> {
        self.shared.init_error.lock().ok()?.clone().map(LocalError::InitError)
    }

    /// Every line the function wrote so far (stdout and stderr, in arrival order).
    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.server.abort();
    }
}

async fn collect<R: tokio::io::AsyncRead + Unpin>(stream: R, logs: Arc<Mutex<Vec<String>>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(mut logs) = logs.lock() {
            logs.push(line);
        }
    }
}

/// Whether `path` is an arm64 ELF executable (`e_machine` 183).
fn is_arm64(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header)).is_ok()
        && header[..4] == *b"\x7fELF"
        && u16::from_le_bytes([header[18], header[19]]) == 183
}

/// The resident memory of process `pid` (`VmRSS` in `/proc/<pid>/status`), in bytes.
fn resident_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn epoch_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// `GET /runtime/invocation/next`: waits for the next invocation and hands it over with the
/// headers Lambda sends.
async fn next(State(api): State<Arc<Api>>) -> Response {
    if let Ok(mut first) = api.shared.first_next.lock()
        && first.is_none()
    {
        let pid = api.shared.pid.lock().ok().and_then(|p| *p);
        *first = Some((Instant::now(), pid.and_then(resident_bytes)));
    }
    let pending = api.next.lock().await.recv().await;
    let Some(pending) = pending else { return StatusCode::GONE.into_response() };
    let mut headers = HeaderMap::new();
    let mut header = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    header("lambda-runtime-aws-request-id", pending.request_id.clone());
    header("lambda-runtime-invoked-function-arn", api.function_arn.clone());
    header("lambda-runtime-trace-id", format!("Root=1-{:08x}-{}", epoch_millis() / 1000, &pending.request_id[..8]));
    match pending.deadline {
        Deadline::Timeout => {
            header("lambda-runtime-deadline-ms", (epoch_millis() + pending.timeout.as_millis() as u64).to_string())
        }
        Deadline::EpochMillis(ms) => header("lambda-runtime-deadline-ms", ms.to_string()),
        Deadline::Missing => {}
    }
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, headers, pending.payload).into_response()
}

fn answer(api: &Api, id: &str, outcome: Outcome) -> StatusCode {
    let sender = api.shared.answers.lock().ok().and_then(|mut answers| answers.remove(id));
    match sender {
        Some(sender) => {
            let _ = sender.send(outcome);
            StatusCode::ACCEPTED
        }
        None => StatusCode::BAD_REQUEST,
    }
}

/// `POST /runtime/invocation/{id}/response`
async fn respond(State(api): State<Arc<Api>>, UrlPath(id): UrlPath<String>, body: Bytes) -> StatusCode {
    let value =
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    answer(&api, &id, Outcome::Response(value))
}

/// `POST /runtime/invocation/{id}/error`
async fn fail(State(api): State<Arc<Api>>, UrlPath(id): UrlPath<String>, body: Bytes) -> StatusCode {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_string();
    answer(&api, &id, Outcome::Error { error_type: text("errorType"), error_message: text("errorMessage") })
}

/// `POST /runtime/init/error`
async fn init_error(State(api): State<Arc<Api>>, body: Bytes) -> StatusCode {
    if let Ok(mut slot) = api.shared.init_error.lock() {
        *slot = Some(String::from_utf8_lossy(&body).into_owned());
    }
    StatusCode::ACCEPTED
}
