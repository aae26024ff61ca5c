//! Ctrl-C while a StackSet operation runs: harden stops watching, says the operation goes on,
//! and gives the command that follows it and the one that runs the deploy again. Alone in its
//! test binary: the interrupt is a real SIGINT to this process, which tokio's handler (installed
//! first) catches, and other tests' watches would see it too.

#[path = "support/org_mocks.rs"]
mod support;
use support::*;

#[test]
fn ctrl_c_during_an_operation_leaves_it_running_and_says_how_to_follow_it() {
    let log: Log = Arc::default();
    let o = opts(
        Targets::Ous(vec!["ou-ab12-cd34ef56".into()]),
        CallAsArg::DelegatedAdmin,
    );
    // An operation that never ends, and no instance done yet.
    let rules = new_stack_set_polled(&log, |_| StackSetOperationStatus::Running, |_| Vec::new());
    let aws = clients(&rules);
    let con = Console::captured(&[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let code = rt.block_on(async {
        // SIGINT is caught from here on: the default action would end the test process.
        let mut sigint =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).unwrap();
        let sel = baseline(&o);
        let deploy = deploy_cmd(&aws, &con, &sel, &o, YES, "harden deploy --env org --yes");
        tokio::pin!(deploy);
        // Until the watch is polling, then a Ctrl-C each 50 ms until harden stops (a signal
        // that comes between two of its waits is not seen by it).
        let pid = std::process::id().to_string();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            assert!(
                std::time::Instant::now() < deadline,
                "harden did not stop on Ctrl-C:\n{}",
                con.stderr_text()
            );
            tokio::select! {
                code = &mut deploy => break code,
                _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {
                    if log.lock().unwrap().iter().any(|(c, _)| c == "DescribeStackSetOperation") {
                        std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap();
                        let _ = sigint.recv().await;
                    }
                }
            }
        }
    });
    let err = con.stderr_text();
    assert_eq!(code.unwrap(), harden::exit::ERROR, "{err}");
    assert!(
        err.contains(
            "interrupted: operation op-1 of stack set harden-account-baseline is still running\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("hint: follow it with `aws cloudformation describe-stack-set-operation --stack-set-name harden-account-baseline --operation-id op-1 --call-as DELEGATED_ADMIN`, or `harden deploy --env org --yes` once it ends"),
        "{err}"
    );
    // Nothing was stopped or deleted: the operation is StackSets' to finish.
    let log = log.lock().unwrap();
    assert!(
        log.iter()
            .all(|(c, _)| !c.starts_with("Stop") && !c.starts_with("Delete")),
        "{log:?}"
    );
}
