//! CPU time and memory of this process and of the server, read from `/proc`.

use std::time::{Duration, Instant};

/// Clock ticks per second used by `/proc/<pid>/stat`: `AT_CLKTCK` from the
/// auxiliary vector, 100 if it cannot be read.
fn ticks_per_second() -> u64 {
    const AT_CLKTCK: u64 = 17;
    let Ok(auxv) = std::fs::read("/proc/self/auxv") else {
        return 100;
    };
    auxv.chunks_exact(16)
        .map(|pair| {
            let word = |b: &[u8]| u64::from_ne_bytes(b.try_into().unwrap_or([0; 8]));
            (word(&pair[..8]), word(&pair[8..]))
        })
        .find(|&(key, _)| key == AT_CLKTCK)
        .map_or(100, |(_, value)| value.max(1))
}

/// User plus system CPU time of a process (`self` or a pid), or `None` if it is gone.
pub fn cpu_time(pid: Option<u32>) -> Option<Duration> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name may contain spaces; the fields we want follow its closing paren.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15 (1-based).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let ticks = ticks_per_second();
    Some(Duration::from_micros((utime + stime) * 1_000_000 / ticks))
}

/// Resident set size of a process in bytes (`VmRSS`).
pub fn rss_bytes(pid: u32) -> Option<u64> {
    status_kb(pid, "VmRSS:").map(|kb| kb * 1024)
}

/// Peak resident set size of a process in bytes (`VmHWM`).
pub fn peak_rss_bytes(pid: u32) -> Option<u64> {
    status_kb(pid, "VmHWM:").map(|kb| kb * 1024)
}

fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

/// Kernel memory used by TCP sockets, in pages (`/proc/net/sockstat`, `TCP: ... mem N`).
pub fn tcp_mem_pages() -> Option<u64> {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let line = sockstat.lines().find(|l| l.starts_with("TCP:"))?;
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        if w == "mem" {
            return words.next()?.parse().ok();
        }
    }
    None
}

/// CPU use of the generator and of the server over a wall-clock window.
pub struct CpuWindow {
    wall: Instant,
    own: Option<Duration>,
    server: Option<Duration>,
    server_pid: Option<u32>,
}

/// What a [`CpuWindow`] measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    /// Wall-clock length of the window.
    pub wall: Duration,
    /// Fraction of one core the generator used.
    pub own_fraction: f64,
    /// CPU time the server used, if its pid is known.
    pub server: Option<Duration>,
}

impl CpuWindow {
    /// Starts a window now.
    pub fn start(server_pid: Option<u32>) -> Self {
        Self {
            wall: Instant::now(),
            own: cpu_time(None),
            server: server_pid.and_then(|p| cpu_time(Some(p))),
            server_pid,
        }
    }

    /// Ends the window.
    pub fn finish(&self) -> CpuUse {
        let wall = self.wall.elapsed();
        let own = match (self.own, cpu_time(None)) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => Duration::ZERO,
        };
        let server = match (self.server, self.server_pid.and_then(|p| cpu_time(Some(p)))) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        CpuUse {
            wall,
            own_fraction: own.as_secs_f64() / wall.as_secs_f64().max(1e-9),
            server,
        }
    }
}

impl CpuUse {
    /// Server CPU nanoseconds per unit of work, if the server pid is known.
    pub fn server_ns_per(&self, units: u64) -> Option<f64> {
        let server = self.server?;
        (units > 0).then(|| server.as_nanos() as f64 / units as f64)
    }

    /// Fraction of one core the server used.
    pub fn server_fraction(&self) -> Option<f64> {
        self.server
            .map(|s| s.as_secs_f64() / self.wall.as_secs_f64().max(1e-9))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        assert!(cpu_time(None).is_some());
        let pid = std::process::id();
        assert!(rss_bytes(pid).unwrap() > 0);
        assert!(cpu_time(Some(pid)).is_some());
    }
}
