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

/// User and system CPU time of a process (`self` or a pid), or `None` if it is gone.
pub fn cpu_times(pid: Option<u32>) -> Option<(Duration, Duration)> {
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
    let micros = |t: u64| Duration::from_micros(t * 1_000_000 / ticks);
    Some((micros(utime), micros(stime)))
}

/// CPU time of a process (`self` or a pid), or `None` if it is gone: the sum over
/// its threads of the scheduler's nanosecond run time (`/proc/<pid>/task/*/schedstat`),
/// or user plus system time in clock ticks where schedstat is missing.
pub fn cpu_time(pid: Option<u32>) -> Option<Duration> {
    schedstat_time(pid).or_else(|| cpu_times(pid).map(|(user, system)| user + system))
}

fn schedstat_time(pid: Option<u32>) -> Option<Duration> {
    let dir = match pid {
        Some(pid) => format!("/proc/{pid}/task"),
        None => "/proc/self/task".to_string(),
    };
    let mut total: u64 = 0;
    let mut threads = 0;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("schedstat")) else {
            continue;
        };
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        threads += 1;
    }
    (threads > 0).then(|| Duration::from_nanos(total))
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

/// A line of `/proc/meminfo` (for example `Slab:`), in bytes.
pub fn meminfo_bytes(key: &str) -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line[key.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kb * 1024)
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

/// The one CPU a process is pinned to (`Cpus_allowed_list` of a single core), if any.
pub fn pinned_core(pid: Option<u32>) -> Option<usize> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with("Cpus_allowed_list:"))?;
    line["Cpus_allowed_list:".len()..].trim().parse().ok()
}

/// Time of one CPU, in ticks, from `/proc/stat`.
#[derive(Debug, Clone, Copy)]
struct CoreTicks {
    /// User-space time (user and nice): other processes' work shows up here.
    user: u64,
    /// Everything but idle, interrupts and softirqs included: the kernel does much
    /// of the loopback TCP work there without charging it to any process.
    busy: u64,
    total: u64,
}

fn core_ticks(core: usize) -> Option<CoreTicks> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let name = format!("cpu{core}");
    let line = stat
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name.as_str()))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    let total: u64 = values.iter().take(8).sum();
    Some(CoreTicks {
        user: values[0] + values.get(1).copied().unwrap_or(0),
        busy: total - idle,
        total,
    })
}

/// User time of several processes together, or `None` if one of them is gone.
fn user_time(pids: &[Option<u32>]) -> Option<Duration> {
    pids.iter().map(|&pid| cpu_times(pid).map(|t| t.0)).sum()
}

/// CPU time of several processes together, or `None` if one of them is gone.
fn total_cpu_time(pids: &[u32]) -> Option<Duration> {
    pids.iter().map(|&pid| cpu_time(Some(pid))).sum()
}

/// Processes pinned to one core (the first one's), sampled at the start of a window.
#[derive(Debug, Clone, Copy)]
struct Pinned {
    core: usize,
    ticks: CoreTicks,
    user: Duration,
}

impl Pinned {
    fn sample(pids: &[Option<u32>]) -> Option<Self> {
        let core = pinned_core(*pids.first()?)?;
        Some(Self {
            core,
            ticks: core_ticks(core)?,
            user: user_time(pids)?,
        })
    }

    /// (core busy fraction, fraction of the core's time spent in user code of
    /// processes other than `pids`)
    fn since(&self, pids: &[Option<u32>], wall: Duration) -> Option<(f64, f64)> {
        let now = core_ticks(self.core)?;
        let total = now.total.saturating_sub(self.ticks.total);
        if total == 0 {
            return None;
        }
        let busy = now.busy.saturating_sub(self.ticks.busy) as f64 / total as f64;
        let core_user = now.user.saturating_sub(self.ticks.user) as f64 / total as f64;
        let own_user =
            user_time(pids)?.saturating_sub(self.user).as_secs_f64() / wall.as_secs_f64().max(1e-9);
        Some((busy, (core_user - own_user).max(0.0)))
    }
}

/// CPU use of the generator and of the server over a wall-clock window.
pub struct CpuWindow {
    wall: Instant,
    own: Option<Duration>,
    server: Option<Duration>,
    server_pids: Vec<u32>,
    own_core: Option<Pinned>,
    server_core: Option<Pinned>,
}

/// What a [`CpuWindow`] measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    /// Wall-clock length of the window.
    pub wall: Duration,
    /// Fraction of one core the generator process used.
    pub own_fraction: f64,
    /// CPU time the server processes used together, if their pids are known.
    pub server: Option<Duration>,
    /// How busy the generator's core was (kernel work included), if it is pinned to one.
    pub own_core_busy: Option<f64>,
    /// How busy the server's core was (kernel work included), if it is pinned to one.
    pub server_core_busy: Option<f64>,
    /// The largest fraction of a pinned core that other processes' user code took.
    pub contention: Option<f64>,
}

impl CpuWindow {
    /// Starts a window now; `server_pids` are the server's processes, the server
    /// itself first (none: the server's CPU is not measured).
    pub fn start(server_pids: &[u32]) -> Self {
        let pinned: Vec<Option<u32>> = server_pids.iter().map(|&p| Some(p)).collect();
        Self {
            wall: Instant::now(),
            own: cpu_time(None),
            server: (!server_pids.is_empty())
                .then(|| total_cpu_time(server_pids))
                .flatten(),
            server_pids: server_pids.to_vec(),
            own_core: Pinned::sample(&[None]),
            server_core: (!pinned.is_empty())
                .then(|| Pinned::sample(&pinned))
                .flatten(),
        }
    }

    /// Ends the window.
    pub fn finish(&self) -> CpuUse {
        let wall = self.wall.elapsed();
        let own = match (self.own, cpu_time(None)) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => Duration::ZERO,
        };
        let server = match (self.server, total_cpu_time(&self.server_pids)) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        let own_core = self.own_core.and_then(|p| p.since(&[None], wall));
        let pinned: Vec<Option<u32>> = self.server_pids.iter().map(|&p| Some(p)).collect();
        let server_core = self.server_core.and_then(|p| p.since(&pinned, wall));
        let contention = match (own_core, server_core) {
            (Some((_, a)), Some((_, b))) => Some(a.max(b)),
            (a, b) => a.or(b).map(|(_, c)| c),
        };
        CpuUse {
            wall,
            own_fraction: own.as_secs_f64() / wall.as_secs_f64().max(1e-9),
            server,
            own_core_busy: own_core.map(|(busy, _)| busy),
            server_core_busy: server_core.map(|(busy, _)| busy),
            contention,
        }
    }
}

impl CpuUse {
    /// Server CPU nanoseconds per unit of work, if the server pid is known.
    pub fn server_ns_per(&self, units: u64) -> Option<f64> {
        let server = self.server?;
        (units > 0).then(|| server.as_nanos() as f64 / units as f64)
    }

    /// Fraction of one core the server process used.
    pub fn server_fraction(&self) -> Option<f64> {
        self.server
            .map(|s| s.as_secs_f64() / self.wall.as_secs_f64().max(1e-9))
    }
}

/// Waits until every core in `cores` is at least `idle` idle over one second, or
/// `limit` passes. Returns whether the machine became quiet.
pub async fn wait_quiet(cores: &[usize], idle: f64, limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        let before: Vec<_> = cores.iter().map(|&c| core_ticks(c)).collect();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let quiet = cores
            .iter()
            .zip(before)
            .all(|(&c, b)| match (b, core_ticks(c)) {
                (Some(b), Some(a)) if a.total > b.total => {
                    1.0 - (a.busy - b.busy) as f64 / (a.total - b.total) as f64 >= idle
                }
                _ => true,
            });
        if quiet {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
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
