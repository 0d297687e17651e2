//! Test scaffolding shared by the lab and the wizard's namespace tests: small Python programs
//! (TCP listeners standing in for sshd and for ports that must stay closed, a login held open,
//! a UDP echo) started in a namespace and waited for until they say they are ready.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A helper process; killed when dropped.
pub struct Helper(Child);

impl Helper {
    /// Spawns `cmd` with its standard output piped and waits for its first line to be `ready`.
    /// `what` names the helper in the failure.
    pub fn start(mut cmd: Command, ready: &str, what: &str) -> Helper {
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
        let mut line = String::new();
        if let Some(out) = child.stdout.as_mut() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let helper = Helper(child);
        assert_eq!(line.trim(), ready, "{what} did not start");
        helper
    }

    pub fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Python program that listens on TCP at each (address, port), prints `listening`, then
/// accepts forever: closing each connection, or with `hold` keeping it open (a login).
pub fn tcp_listeners(binds: &[(&str, u16)], hold: bool) -> String {
    let binds: Vec<String> = binds
        .iter()
        .map(|(addr, port)| format!("('{addr}', {port})"))
        .collect();
    let accepted = if hold { "held.append(c)" } else { "c.close()" };
    format!(
        "import selectors, socket\nsel = selectors.DefaultSelector()\nheld = []\n\
         for addr in [{}]:\n    s = socket.socket()\n    \
         s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n    s.bind(addr)\n    \
         s.listen(64)\n    sel.register(s, selectors.EVENT_READ)\nprint('listening', flush=True)\n\
         while True:\n    for key, _ in sel.select():\n        c, _ = key.fileobj.accept()\n        \
         {accepted}\n",
        binds.join(", ")
    )
}

/// Every `port` on 0.0.0.0, for [`tcp_listeners`].
pub fn any_address(ports: &[u16]) -> Vec<(&'static str, u16)> {
    ports.iter().map(|&p| ("0.0.0.0", p)).collect()
}
