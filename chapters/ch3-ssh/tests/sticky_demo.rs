//! The sticky-packet demonstration program prints what the book shows.

use assert_cmd::Command;

#[test]
fn the_demo_shows_two_sends_glued_and_the_ack_keeping_them_apart() {
    let out = Command::cargo_bin("sticky-demo")
        .unwrap()
        .timeout(std::time::Duration::from_secs(30))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.contains(
            "without the acknowledgement:\n  client: recv(1024) -> \"4123\\n\" (5 bytes)\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("with the acknowledgement:\n  client: recv(1024) -> \"4\" (1 bytes)\n"),
        "{stdout}"
    );
}
