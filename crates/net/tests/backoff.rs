//! Out of file descriptors, `accept` fails at once for as long as a connection waits in the
//! backlog. The listener must pause between attempts instead of spinning a core, and serve the
//! connection once descriptors are free again.
//!
//! This lowers the process's descriptor limit, so it is the only test in its binary.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferry_net::{Limits, Listener, bind};
use rustix::process::{Resource, getrlimit, setrlimit};
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

/// CPU time this process has used (user + system), from `/proc/self/stat` (opened before the
/// squeeze, since no file can be opened during it).
fn cpu_time(proc_stat: &mut File) -> Duration {
    let mut stat = String::new();
    proc_stat.seek(SeekFrom::Start(0)).unwrap();
    proc_stat.read_to_string(&mut stat).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// The lowest descriptor number not in use: with the limit set to it, no new one can open.
fn lowest_free_fd() -> u64 {
    use std::os::fd::AsRawFd;
    let f = File::open("/dev/null").unwrap();
    f.as_raw_fd() as u64
}

#[tokio::test(flavor = "current_thread")]
async fn accept_failing_for_lack_of_descriptors_pauses_instead_of_spinning() {
    let listener = Listener::new(
        bind("127.0.0.1:0".parse().unwrap()).unwrap(),
        Limits {
            door: "test",
            ..Limits::default()
        },
    );
    let addr = listener.local_addr().unwrap();
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(ferry_net::run(listener, shutdown.clone(), move |a| {
        counter.fetch_add(1, Ordering::SeqCst);
        drop(a);
        async {}
    }));

    let mut proc_stat = File::open("/proc/self/stat").unwrap();
    let saved = getrlimit(Resource::Nofile);
    let mut squeezed = saved;
    squeezed.current = Some(lowest_free_fd());
    setrlimit(Resource::Nofile, squeezed).unwrap();
    let cpu_before = cpu_time(&mut proc_stat);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let spent = cpu_time(&mut proc_stat) - cpu_before;
    let still_waiting = served.load(Ordering::SeqCst);
    setrlimit(Resource::Nofile, saved).unwrap();

    assert_eq!(
        still_waiting, 0,
        "a connection was accepted without a free descriptor"
    );
    assert!(
        spent < Duration::from_millis(300),
        "{spent:?} of CPU in 1 s of failing accepts: the listener spins"
    );
    // The longest pause is 1 s; the connection is served soon after descriptors are back.
    let mut buf = [0u8; 1];
    let closed = tokio::time::timeout(Duration::from_secs(5), client.read(&mut buf)).await;
    assert!(
        matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
        "served and closed after the squeeze"
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
    shutdown.cancel();
    server.await.unwrap();
}
