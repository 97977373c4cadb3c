//! The same tree gives byte-identical output whatever the number of worker threads, in every
//! format (timing fields aside): results are sorted after the parallel phase.

use super::cli::fdlint;

/// Timing fields of the JSON summary, zeroed before comparing.
fn without_timings(format: &str, out: Vec<u8>) -> Vec<u8> {
    if format != "json" {
        return out;
    }
    let mut v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let summary = v["summary"].as_object_mut().unwrap();
    for key in ["discover_time", "lint_time"] {
        assert!(summary.contains_key(key), "{key} is gone: update this test");
        summary.insert(key.into(), 0.into());
    }
    serde_json::to_vec_pretty(&v).unwrap()
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    // fixtures/ has findings in every language, suppressions, link-pass pairs, syntax errors and
    // a file that is not UTF-8: everything the sort has to order.
    for format in ["human", "json", "json-lines", "concise", "github", "sarif"] {
        let mut outputs = Vec::new();
        for jobs in ["1", "2", "8"] {
            let o = fdlint()
                .args([
                    "check",
                    "--isolated",
                    "--color",
                    "never",
                    "--format",
                    format,
                    "-j",
                    jobs,
                ])
                .arg("fixtures")
                .output()
                .unwrap();
            assert_eq!(
                o.status.code(),
                Some(1),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(!o.stdout.is_empty());
            // Diagnostics on stderr are sorted too; the summary line has the time.
            let stderr = String::from_utf8_lossy(&o.stderr);
            let diagnostics: Vec<&str> = stderr
                .lines()
                .filter(|l| l.starts_with("fdlint: "))
                .collect();
            outputs.push((
                jobs,
                without_timings(format, o.stdout),
                diagnostics.join("\n"),
            ));
        }
        let (_, first, first_err) = &outputs[0];
        for (jobs, out, err) in &outputs[1..] {
            assert!(
                out == first,
                "--format {format}: -j {jobs} differs from -j 1"
            );
            assert_eq!(
                err, first_err,
                "--format {format}: diagnostics with -j {jobs}"
            );
        }
    }
}
