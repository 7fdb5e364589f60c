//! The student's crate: `init` makes it, and never overwrites their work.

use std::fs;

use checker::catalog;
use checker::student::StudentCrate;

#[test]
fn init_writes_every_starter_once_and_keeps_the_students_edits() {
    let root = checker::root();
    let exercises = catalog::load(&root).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mine = StudentCrate {
        target_dir: scratch.path().join("target"),
        ..StudentCrate::mine(scratch.path())
    };

    let written = mine.init(&root, &exercises).unwrap();
    assert_eq!(
        written.len(),
        exercises.len(),
        "a starter for every exercise"
    );
    for exercise in &exercises {
        let copy = fs::read_to_string(mine.program_source(&exercise.name)).unwrap();
        assert_eq!(copy, exercise.expected_starter().unwrap());
    }

    let first = &exercises[0];
    let edited = "// my own work\nfn main() {}\n";
    fs::write(mine.program_source(&first.name), edited).unwrap();
    let written_again = mine.init(&root, &exercises).unwrap();
    assert!(
        written_again.is_empty(),
        "nothing new to write: {written_again:?}"
    );
    assert_eq!(
        fs::read_to_string(mine.program_source(&first.name)).unwrap(),
        edited,
        "init must never overwrite a student's program"
    );
}

#[test]
fn the_students_crate_depends_on_every_chapter_and_stands_alone() {
    let root = checker::root();
    let exercises = catalog::load(&root).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mine = StudentCrate {
        target_dir: scratch.path().join("target"),
        ..StudentCrate::mine(scratch.path())
    };
    mine.init(&root, &exercises).unwrap();
    let manifest: toml::Table =
        toml::from_str(&fs::read_to_string(mine.dir.join("Cargo.toml")).unwrap()).unwrap();
    assert!(manifest.contains_key("workspace"), "a workspace of its own");
    let deps = manifest["dependencies"].as_table().unwrap();
    for chapter in catalog::chapter_dirs(&root).unwrap() {
        let name = chapter.file_name().unwrap().to_string_lossy().into_owned();
        assert!(deps.contains_key(&name), "depends on {name}");
    }
    let tokio_features = deps["tokio"]["features"].as_array().unwrap();
    assert!(
        tokio_features.iter().any(|f| f.as_str() == Some("macros")),
        "features a chapter adds to a workspace dependency are kept: {tokio_features:?}"
    );
    assert!(
        !deps.contains_key("mdbook-driver"),
        "the book's own tools are not an exercise's dependencies"
    );
}
