//! The student's crate: one program per exercise, built with cargo.
//!
//! `cargo exercise init` makes `my-exercises/` at the top of the repository:
//! a crate of its own (outside the book's workspace) whose `src/bin/` holds a
//! copy of every starter. The student edits those copies; the checker builds
//! them and judges the programs. The crate depends on every chapter crate, so
//! an exercise can use the chapter's library, and on the crates the book uses
//! (anyhow, clap, socket2, ...), with the versions in the book's `Cargo.lock`.
//!
//! The proof of every checker (`cargo exercise verify`, and the tests of
//! `checker/proof/`) builds the starters and the solutions with the same
//! dependencies, as programs of a package of the book's own workspace.
//!
//! Every such crate builds in one target folder, so that the dependencies
//! are compiled once. That is safe only if no two crates share a package
//! name (cargo would take one crate's build for the other's: same name, same
//! version, same fingerprint) or a program name (the last build would own
//! `debug/NAME`). So each crate has a package name of its own, and every
//! crate but the student's own `my-exercises/` prefixes its programs' names:
//! a verdict is always about the code in the crate it judges, whatever was
//! built before.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// Reads and parses a TOML file.
fn read_table(path: &Path) -> Result<toml::Table> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is malformed", path.display()))
}

use crate::catalog::{self, Exercise};

/// The student's crate, or a copy of one elsewhere: a folder and where it builds.
#[derive(Debug, Clone)]
pub struct StudentCrate {
    /// The crate's folder.
    pub dir: PathBuf,
    /// Where cargo puts the crate's programs: apart from the book's own
    /// `target/debug`, whose programs have the same names (the chapters'
    /// solutions).
    pub target_dir: PathBuf,
    /// Where cargo keeps what it builds on the way (the dependencies'
    /// libraries, fingerprints): the book's own target folder when there is
    /// one, so that the chapters and the crates they use, built once for the
    /// book, are not built a second time for the exercises. `None` builds
    /// everything in `target_dir`.
    pub build_dir: Option<PathBuf>,
    /// The crate's package name, unique among the crates that share
    /// `target_dir`.
    pub package: String,
    /// What the crate's program names start with: empty for the student's
    /// own crate, so that `cargo run --bin ch1-udp-echo` runs their copy.
    pub prefix: String,
}

impl StudentCrate {
    /// The student's crate, `my-exercises/`.
    pub fn mine(root: &Path) -> Self {
        StudentCrate {
            dir: root.join("my-exercises"),
            target_dir: exercises_target(root),
            build_dir: Some(book_target(root)),
            package: "my-exercises".into(),
            prefix: String::new(),
        }
    }

    /// A crate of the student's shape in another folder (a teacher's copy of
    /// a student's work, a test's): its package and its programs are named
    /// after the folder, so it never takes the place of `my-exercises/`.
    pub fn elsewhere(root: &Path, dir: &Path) -> Self {
        let name: String = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let name = name.trim_matches('-');
        let name = if name.is_empty() { "exercises" } else { name };
        StudentCrate {
            dir: dir.to_path_buf(),
            target_dir: exercises_target(root),
            build_dir: Some(book_target(root)),
            package: format!("exercises-in-{name}"),
            prefix: format!("{name}--"),
        }
    }

    /// The program file of an exercise in this crate.
    pub fn program_source(&self, name: &str) -> PathBuf {
        self.dir.join("src").join("bin").join(format!("{name}.rs"))
    }

    /// The name cargo gives the program made from `src/bin/NAME.rs`.
    pub fn program_name(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The built program of an exercise.
    pub fn program(&self, name: &str) -> PathBuf {
        self.target_dir.join("debug").join(self.program_name(name))
    }

    /// Writes the crate's manifest (always: it is generated) and a starter
    /// for every exercise that has no program yet. Never overwrites a
    /// student's program. Returns the names of the starters it wrote.
    pub fn init(&self, root: &Path, exercises: &[Exercise]) -> Result<Vec<String>> {
        fs::create_dir_all(self.dir.join("src").join("bin"))
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let mut written = Vec::new();
        for exercise in exercises {
            let path = self.program_source(&exercise.name);
            if path.exists() {
                continue;
            }
            fs::write(&path, exercise.expected_starter()?)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(exercise.name.clone());
        }
        // After the starters, so that the manifest names every program.
        let programs = self.programs()?;
        let manifest = manifest(root, &self.dir, &self.package, &self.prefix, &programs)?;
        fs::write(self.dir.join("Cargo.toml"), manifest)
            .with_context(|| format!("cannot write {}/Cargo.toml", self.dir.display()))?;
        let lock = self.dir.join("Cargo.lock");
        if !lock.exists() {
            // Start from the book's versions, so nothing new is downloaded.
            let _ = fs::copy(root.join("Cargo.lock"), &lock);
        }
        Ok(written)
    }

    /// The programs in `src/bin/`, by file name without `.rs`.
    fn programs(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let bin = self.dir.join("src").join("bin");
        for entry in fs::read_dir(&bin).with_context(|| format!("cannot read {}", bin.display()))? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "rs")
                && let Some(stem) = path.file_stem()
            {
                names.push(stem.to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Builds the named programs (all of them when `names` is empty).
    ///
    /// With `show_output`, cargo's messages go straight to the terminal, so a
    /// student sees compiler errors in colour; without, they are captured and
    /// returned in the error.
    pub fn build(&self, names: &[&str], show_output: bool) -> Result<()> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .arg("build")
            .arg("--quiet")
            .arg("--manifest-path")
            .arg(self.dir.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&self.target_dir)
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_BUILD_DIR")
            .stdin(Stdio::null());
        if let Some(build_dir) = &self.build_dir {
            // `build.build-dir` (cargo 1.91 and newer; older versions
            // ignore it, and build everything in the target folder).
            command.env("CARGO_BUILD_BUILD_DIR", build_dir);
        }
        if names.is_empty() {
            command.arg("--bins");
        }
        for name in names {
            command.arg("--bin").arg(self.program_name(name));
        }
        if show_output {
            let status = command.status().context("cannot run cargo")?;
            if !status.success() {
                bail!("your program does not compile (cargo's messages are above)");
            }
        } else {
            let output = command.output().context("cannot run cargo")?;
            if !output.status.success() {
                bail!(
                    "cargo build failed:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
        Ok(())
    }
}

/// The student crate's `Cargo.toml`. Its dependencies are every chapter
/// crate and every dependency of a chapter crate (an exercise's solution is a
/// program of its chapter, so it may use what the chapter uses), with the
/// book's versions and paths made relative to `dir` when it is inside the book.
fn manifest(
    root: &Path,
    dir: &Path,
    package_name: &str,
    prefix: &str,
    programs: &[String],
) -> Result<String> {
    let dependencies = dependencies(root, dir)?;
    let mut manifest = toml::Table::new();
    let mut package = toml::Table::new();
    package.insert("name".into(), package_name.into());
    package.insert("version".into(), "0.1.0".into());
    package.insert("edition".into(), "2024".into());
    package.insert("publish".into(), false.into());
    if !prefix.is_empty() {
        // Name every program with the prefix: the files keep the
        // exercises' names, the programs get names of their own.
        package.insert("autobins".into(), false.into());
        let bins: Vec<toml::Value> = programs
            .iter()
            .map(|name| bin(&format!("{prefix}{name}"), &format!("src/bin/{name}.rs")))
            .collect();
        manifest.insert("bin".into(), bins.into());
    }
    manifest.insert("package".into(), package.into());
    manifest.insert("dependencies".into(), dependencies.into());
    manifest.insert("lints".into(), starter_lints());
    // The book's build settings: the same settings give the same builds of
    // the chapters and their dependencies, found in the book's target folder
    // instead of built again.
    if let Some(profile) = read_table(&root.join("Cargo.toml"))?.get("profile") {
        manifest.insert("profile".into(), profile.clone());
    }
    // A workspace of its own: the book's workspace leaves it out.
    manifest.insert("workspace".into(), toml::Table::new().into());

    let body = toml::to_string(&manifest).context("cannot write the manifest")?;
    Ok(format!(
        "# Made by `cargo exercise init`, and made again by every `cargo exercise`\n\
         # command: edit the programs in src/bin/, not this file.\n\n{body}"
    ))
}

/// A `[[bin]]` entry.
pub(crate) fn bin(name: &str, path: &str) -> toml::Value {
    let mut bin = toml::Table::new();
    bin.insert("name".into(), name.into());
    bin.insert("path".into(), path.into());
    bin.into()
}

/// The `[lints]` of a crate of starters. A starter has a todo!() where code
/// will go: its unused variables are not mistakes yet.
pub(crate) fn starter_lints() -> toml::Value {
    let mut rust_lints = toml::Table::new();
    rust_lints.insert("unused".into(), "allow".into());
    let mut lints = toml::Table::new();
    lints.insert("rust".into(), rust_lints.into());
    lints.into()
}

/// The dependencies of a crate of exercises in `dir`: every chapter crate
/// and every dependency of one, with the book's versions, paths made
/// relative to `dir` when it is inside the book.
pub(crate) fn dependencies(root: &Path, dir: &Path) -> Result<toml::Table> {
    let workspace_deps = read_table(&root.join("Cargo.toml"))?
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table())
        .cloned()
        .context("the book's Cargo.toml has no [workspace.dependencies]")?;
    let root_from_dir = match dir.strip_prefix(root) {
        // Inside the book: `..` for each level, so the crate can move with it.
        Ok(inside) if !inside.as_os_str().is_empty() => {
            inside.components().map(|_| "..").collect::<PathBuf>()
        }
        _ => root.to_path_buf(),
    };
    let rebase = |spec: &toml::Value| -> toml::Value {
        let mut spec = spec.clone();
        if let Some(table) = spec.as_table_mut()
            && let Some(path) = table.get("path").and_then(|p| p.as_str())
        {
            let rebased = root_from_dir.join(path).to_string_lossy().into_owned();
            table.insert("path".into(), rebased.into());
        }
        spec
    };

    let mut dependencies = toml::Table::new();
    for chapter in catalog::chapter_dirs(root)? {
        let chapter_manifest = read_table(&chapter.join("Cargo.toml"))?;
        let name = chapter_manifest
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .with_context(|| format!("{} has no package name", chapter.display()))?
            .to_string();
        let path = root_from_dir.join(chapter.strip_prefix(root).unwrap_or(&chapter));
        let mut spec = toml::Table::new();
        spec.insert("path".into(), path.to_string_lossy().into_owned().into());
        dependencies.insert(name, spec.into());

        let deps = chapter_manifest
            .get("dependencies")
            .and_then(|d| d.as_table());
        for (dep, spec) in deps.into_iter().flatten() {
            let inherited = spec.get("workspace").and_then(|w| w.as_bool()) == Some(true);
            let resolved = match (inherited, workspace_deps.get(dep)) {
                (true, Some(from_workspace)) => rebase(from_workspace),
                (true, None) => anyhow::bail!("{dep} is not in [workspace.dependencies]"),
                (false, _) => rebase(spec),
            };
            let entry = dependencies.entry(dep.clone()).or_insert(resolved);
            // A chapter may add features to a workspace dependency
            // (`tokio = { workspace = true, features = [...] }`): the
            // student's crate needs the union of them all.
            add_features(entry, spec.get("features"));
        }
    }

    Ok(dependencies)
}

/// The book's target folder.
fn book_target(root: &Path) -> PathBuf {
    root.join("target")
}

/// The target folder every exercise crate's programs go to.
fn exercises_target(root: &Path) -> PathBuf {
    book_target(root).join("exercises")
}

/// Adds `extra` features (a TOML array, if any) to a dependency's spec.
fn add_features(spec: &mut toml::Value, extra: Option<&toml::Value>) {
    let Some(extra) = extra.and_then(|e| e.as_array()) else {
        return;
    };
    if let toml::Value::String(version) = spec {
        let mut table = toml::Table::new();
        table.insert("version".into(), version.clone().into());
        *spec = table.into();
    }
    let Some(table) = spec.as_table_mut() else {
        return;
    };
    let features = table
        .entry("features")
        .or_insert_with(|| toml::Value::Array(Vec::new()));
    if let Some(features) = features.as_array_mut() {
        for feature in extra {
            if !features.contains(feature) {
                features.push(feature.clone());
            }
        }
    }
}
