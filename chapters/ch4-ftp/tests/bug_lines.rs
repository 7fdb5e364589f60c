//! The chapter's page quotes the course's programs by line number: the
//! lines where its bugs live (book/ch4/bugs.md). These pins keep every
//! number true: a line added above one of them fails here, not silently on
//! the page.

use std::fs;

/// (file under python/, line number, what that line holds).
const QUOTED: [(&str, usize, &str); 8] = [
    ("article_client_buggy.py", 40, "received =+ len(data)"),
    ("article_client.py", 40, "received += len(data)"),
    ("article_client.py", 25, "data = client.recv(1024)"),
    ("article_client.py", 26, "total = int(data.decode())"),
    ("article_client.py", 31, "while received < total:"),
    ("article_server.py", 30, "cmd, name = data.split()"),
    ("article_server.py", 31, "if os.path.isfile(name):"),
    ("article_server.py", 43, "conn.send(md5.hexdigest()"),
];

#[test]
fn the_lines_the_page_quotes_are_the_lines_of_the_bugs() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/python/");
    for (file, number, text) in QUOTED {
        let source = fs::read_to_string(format!("{dir}{file}")).unwrap();
        let line = source.lines().nth(number - 1).unwrap_or_default();
        assert!(
            line.contains(text),
            "{file} line {number} is {line:?}, not the line the page quotes ({text:?})"
        );
    }
    let page = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../book/ch4/bugs.md"
    ))
    .unwrap();
    for (file, number) in [
        ("article_client_buggy.py", 40),
        ("article_server.py", 30),
        ("article_server.py", 31),
        ("article_server.py", 43),
    ] {
        let include = format!("chapters/ch4-ftp/python/{file}:{number}}}}}");
        assert!(
            page.contains(&include),
            "the page no longer includes {file}:{number}"
        );
    }
}
