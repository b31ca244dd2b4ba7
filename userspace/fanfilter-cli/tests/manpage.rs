//! The man page documents every option the command has.

use std::process::Command;

fn long_options(args: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_fanfilter"))
        .args(args)
        .output()
        .expect("run fanfilter");
    let help = String::from_utf8(out.stdout).expect("help is text");
    // Option lines start with "-x, --long" or "--long"; their first
    // token that starts with "--" names the option.
    let mut opts: Vec<String> = help
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().find(|t| t.starts_with("--")))
        .map(|t| t.trim_start_matches('-').trim_end_matches(',').to_string())
        .filter(|w| w != "help" && w != "version")
        .collect();
    opts.sort();
    opts.dedup();
    opts
}

#[test]
fn man_page_names_every_option() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fanfilter.1"))
        .expect("fanfilter.1");
    for cmd in ["watch", "guard"] {
        let opts = long_options(&[cmd, "--help"]);
        assert!(opts.len() > 2, "{cmd}: no options found");
        for o in opts {
            let roff = format!("\\-\\-{}", o.replace('-', "\\-"));
            assert!(
                page.contains(&roff),
                "fanfilter.1 does not document {cmd} --{o}"
            );
        }
    }
    for exit in ["0", "1", "2", "3", "4", "5", "6", "64"] {
        assert!(
            page.contains(&format!(".B {exit}\n")),
            "fanfilter.1 does not document exit status {exit}"
        );
    }
}
