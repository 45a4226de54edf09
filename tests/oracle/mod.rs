//! The JavaScript oracle (`oracle/oracle.cjs`): the npm packages Cal.com runs, asked over
//! stdin/stdout. `.ci/run` installs them with `npm ci --prefix oracle`; a missing install
//! fails the test with that command, it never skips.
#![allow(dead_code)] // each test binary asks a different subset of questions

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{LazyLock, Mutex};

use serde_json::Value;

/// One running `node oracle/oracle.cjs`.
pub struct Oracle {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

static ORACLE: LazyLock<Mutex<Oracle>> = LazyLock::new(|| Mutex::new(Oracle::start()));

impl Oracle {
    fn start() -> Oracle {
        let root = env!("CARGO_MANIFEST_DIR");
        assert!(
            std::path::Path::new(root)
                .join("oracle/node_modules/handlebars")
                .exists(),
            "the JavaScript oracle is not installed: run `npm ci --prefix oracle` (Node 20+)"
        );
        let mut child = Command::new("node")
            .arg(format!("{root}/oracle/oracle.cjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs (install Node.js 20+; .ci/run does)");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        Oracle {
            _child: child,
            stdin,
            stdout,
        }
    }

    fn ask_locked(&mut self, request: &Value) -> Value {
        writeln!(self.stdin, "{request}").expect("the oracle reads its stdin");
        self.stdin.flush().expect("the oracle reads its stdin");
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("the oracle answers");
        let answer: Value = serde_json::from_str(&line)
            .unwrap_or_else(|error| panic!("the oracle answered {line:?}: {error}"));
        assert!(
            answer.get("oracle_error").is_none(),
            "the oracle failed on {request}: {answer}"
        );
        answer
    }
}

/// Asks the shared oracle one question.
pub fn ask(request: Value) -> Value {
    ORACLE
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .ask_locked(&request)
}
