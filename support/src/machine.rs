//! The machine a benchmark ran on, as the book describes it beside the
//! numbers (`book/appendix/machine.txt`, and the benchmarks' first lines):
//! the numbers belong to one machine.

use std::path::Path;

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

/// Whether this is a virtual machine that hands freed memory back to its
/// host (a virtio balloon with free page reporting): there, the first write
/// to a page that was freed a while ago waits for the host to supply it
/// again, which makes new files and new buffers dearer than on a machine of
/// its own.
pub fn hands_freed_memory_to_host() -> bool {
    a_balloon_reports_free_pages(Path::new("/sys/bus/virtio/devices"))
}

/// Whether the kernel reports freed memory to the host at all now: `false`
/// where its `page_reporting_order` has been set above the largest block
/// of free memory it keeps (the last column of `/proc/buddyinfo`), so that
/// no free block is ever large enough to be reported. A benchmark that
/// writes new files runs steadier so, as it would on a machine of its own.
pub fn free_page_reporting_on() -> bool {
    let order =
        std::fs::read_to_string("/sys/module/page_reporting/parameters/page_reporting_order");
    let largest = std::fs::read_to_string("/proc/buddyinfo");
    match (order, largest) {
        (Ok(order), Ok(buddyinfo)) => reports_at(order.trim(), &buddyinfo),
        _ => hands_freed_memory_to_host(),
    }
}

/// Whether blocks of order `order` or more exist in `buddyinfo`, whose
/// lines end with one count per order, from 0 up.
fn reports_at(order: &str, buddyinfo: &str) -> bool {
    let Ok(order) = order.parse::<usize>() else {
        return true;
    };
    let orders = buddyinfo
        .lines()
        .map(|line| {
            line.split("zone").nth(1).map_or(0, |counts| {
                counts.split_whitespace().count().saturating_sub(1)
            })
        })
        .max()
        .unwrap_or(0);
    order < orders
}

/// Whether one of the virtio devices in `devices` (sysfs' folder of them) is
/// a balloon (device `0x0005`) with feature bit 5, free page reporting.
fn a_balloon_reports_free_pages(devices: &Path) -> bool {
    const BALLOON: &str = "0x0005";
    const REPORTING_BIT: usize = 5;
    let Ok(devices) = std::fs::read_dir(devices) else {
        return false;
    };
    devices.flatten().any(|device| {
        let read = |name| std::fs::read_to_string(device.path().join(name)).unwrap_or_default();
        read("device").trim() == BALLOON
            && read("features").as_bytes().get(REPORTING_BIT) == Some(&b'1')
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

    #[test]
    fn reporting_is_off_when_its_order_is_above_every_block() {
        let buddyinfo = "Node 0, zone      DMA      0      0      0      0      0      0      0      0      1      1      2\n\
                         Node 0, zone   Normal   4197   2188    913    380    164     63     27     13      8      7   5120\n";
        assert!(reports_at("9", buddyinfo));
        assert!(reports_at("10", buddyinfo));
        assert!(!reports_at("11", buddyinfo));
        assert!(reports_at("not a number", buddyinfo));
        assert!(
            !reports_at("0", "Node 0, zone\n"),
            "a zone with no counts has no blocks"
        );
    }

    #[test]
    fn a_balloon_with_free_page_reporting_is_recognised() {
        let sysfs = tempfile::tempdir().unwrap();
        let device = |name: &str, id: &str, features: &str| {
            let dir = sysfs.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::write(dir.join("device"), format!("{id}\n")).unwrap();
            std::fs::write(dir.join("features"), format!("{features}\n")).unwrap();
        };
        // A network card with bit 5 set, and a balloon without it: no.
        device("virtio0", "0x0001", "0000010000");
        device("virtio1", "0x0005", "0110000000");
        assert!(!a_balloon_reports_free_pages(sysfs.path()));
        // A balloon with it: yes.
        device("virtio2", "0x0005", "0110010000");
        assert!(a_balloon_reports_free_pages(sysfs.path()));
        // No virtio at all: no.
        assert!(!a_balloon_reports_free_pages(&sysfs.path().join("none")));
    }
}
