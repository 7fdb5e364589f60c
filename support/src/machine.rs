//! The machine a benchmark ran on, as the book describes it beside the
//! numbers (`book/appendix/machine.txt`, and the benchmarks' first lines):
//! the numbers belong to one machine.

use crate::observe;

/// The cores this process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// The kernel: its type and release (`Linux 6.18.44`).
pub fn kernel() -> String {
    let setting = |name| observe::sysctl(name).unwrap_or_default();
    format!(
        "{} {}",
        setting("kernel.ostype"),
        setting("kernel.osrelease")
    )
}

/// The processor's model name, or `unknown`.
pub fn cpu() -> String {
    observe::cpu_model().unwrap_or_else(|| "unknown".into())
}

/// The memory, in GiB with one decimal (`23.4 GiB`), or `unknown`.
pub fn memory() -> String {
    observe::meminfo_kib("MemTotal").map_or("unknown".to_string(), |kib| {
        format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0)
    })
}

/// A kernel setting as a line: `net.core.somaxconn: 4096` (empty after the
/// colon where there is no such setting).
pub fn setting(name: &str) -> String {
    format!("{name}: {}", observe::sysctl(name).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_is_described() {
        assert!(cores() >= 1);
        assert!(kernel().starts_with("Linux "), "{}", kernel());
        assert!(memory().ends_with(" GiB"), "{}", memory());
        assert!(!cpu().is_empty());
        assert!(setting("net.core.somaxconn").starts_with("net.core.somaxconn: "));
        assert_eq!(setting("no.such.thing"), "no.such.thing: ");
    }
}
