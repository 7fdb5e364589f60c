//! The chapter's pages include listings that exist: mdBook itself does not
//! fail on a missing file or anchor.

use std::fs;
use std::path::Path;

#[test]
fn every_include_in_the_chapter_names_a_file_and_anchor_that_exist() {
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/ch3");
    let mut count = 0;
    for page in fs::read_dir(&book).unwrap() {
        let page = page.unwrap().path();
        let text = fs::read_to_string(&page).unwrap();
        for directive in text.split("{{#include ").skip(1) {
            let target = &directive[..directive.find("}}").unwrap()];
            let (file, anchor) = target.split_once(':').expect("an anchor");
            let source = fs::read_to_string(book.join(file))
                .unwrap_or_else(|_| panic!("{}: no file {file}", page.display()));
            let begin = format!("ANCHOR: {anchor}\n");
            let end = format!("ANCHOR_END: {anchor}\n");
            assert!(
                source.contains(&begin) && source.contains(&end),
                "{}: no anchor {anchor} in {file}",
                page.display()
            );
            count += 1;
        }
    }
    assert!(count >= 15, "only {count} includes");
}
