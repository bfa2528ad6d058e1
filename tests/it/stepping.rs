//! The engine driven from outside: step by step through its public API,
//! and with a test double in place of the built-in router.

use kefusim::engine::{Engine, Refused};
use kefusim::routing::{ChatRef, Class, Command, Commands, Ctx, Dispatcher, Notice, Reason};

use crate::support::{load, parse};

/// Results as text, NaN-safe, for exact comparison.
fn fingerprint(r: &kefusim::metrics::RepResult) -> String {
    format!("{r:?}")
}

#[test]
fn stepping_gives_the_same_replication_as_run() {
    for path in [
        "scenarios/taobao_shop.toml",
        "scenarios/quickstart.toml",
        "scenarios/feige_shop.toml",
    ] {
        let sc = load(path);
        let mut whole = Engine::new(&sc, 1);
        let end = whole.run();
        let (whole_stats, whole) = (whole.stats(), fingerprint(&whole.finish()));

        // The same replication, driven in odd-sized slices of simulated
        // time, single steps in between, checking the clock as it goes.
        let mut stepped = Engine::new(&sc, 1);
        let mut slice = 0;
        while let Some(next) = stepped.next_time() {
            assert!(next >= stepped.now(), "{path}: time goes forward");
            slice += 1;
            if slice % 3 == 0 {
                assert_eq!(
                    stepped.step(),
                    Some(next),
                    "{path}: step handles the next event"
                );
            } else {
                let until = next + 17 * 60_000;
                let goes_on = stepped.step_until(until);
                assert!(stepped.now() <= until);
                if goes_on {
                    assert!(stepped.next_time().is_some_and(|t| t > until));
                }
            }
        }
        assert_eq!(stepped.step(), None, "{path}: over is over");
        assert_eq!(stepped.run(), end, "{path}: same end");
        assert_eq!(stepped.stats().events, whole_stats.events, "{path}");
        assert_eq!(fingerprint(&stepped.finish()), whole, "{path}");
    }
}

/// Records every notice and answers from a script: every new chat to
/// agent 0, plus one command that cannot apply.
#[derive(Default)]
struct Scripted {
    seen: Vec<Notice>,
}

impl Dispatcher for Scripted {
    fn on(&mut self, notice: Notice, ctx: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
        assert!(ctx.agents().len() == 2);
        self.seen.push(notice);
        if let Notice::Arrived(info) = notice {
            out.push(Command::Assign {
                chat: info.chat,
                agent: 0,
                reason: Reason::Direct,
            });
            // A chat that does not exist: refused, never a panic.
            out.push(Command::Assign {
                chat: ChatRef {
                    slot: 99_999,
                    id: 7,
                },
                agent: 0,
                reason: Reason::Direct,
            });
        }
        false
    }
}

const TWO_AGENTS: &str = "[run]\nstart = \"2026-11-11T00:00:00+08:00\"\nduration = \"4h\"\n\
    [arrivals]\nrate_per_hour = 60\n[service]\nduration = { dist = \"exponential\", mean = \"5m\" }\n\
    [[agents]]\ncount = 2\nmax_concurrent = 50\n";

#[test]
fn a_test_double_receives_every_arrival_and_its_commands_are_applied() {
    let sc = parse(TWO_AGENTS);
    let mut engine = Engine::with_dispatcher(&sc, 0, Scripted::default());
    engine.run();
    let stats = engine.stats();
    let arrivals = engine
        .dispatcher()
        .seen
        .iter()
        .filter(|n| matches!(n, Notice::Arrived(_)))
        .count() as u64;
    // Every arrival is told, in arrival order, and nothing else is needed
    // here: nobody ever waits, so no drain cues.
    assert_eq!(arrivals, stats.arrivals);
    let ids: Vec<u64> = engine
        .dispatcher()
        .seen
        .iter()
        .filter_map(|n| match n {
            Notice::Arrived(info) => Some(info.chat.id),
            _ => None,
        })
        .collect();
    assert_eq!(ids, (0..arrivals).collect::<Vec<_>>());
    assert!(
        engine.dispatcher().seen.iter().all(|n| matches!(
            n,
            Notice::Arrived(_) | Notice::OnShift { .. } | Notice::Presence { .. }
        )),
        "{:?}",
        engine
            .dispatcher()
            .seen
            .iter()
            .find(|n| !matches!(n, Notice::Arrived(_)))
    );
    assert_eq!(
        stats.refused, arrivals,
        "one bad command per arrival, each refused"
    );
    let result = engine.finish();
    assert!(arrivals > 150);
    assert_eq!(
        result.agents[0].assigned(),
        result.agents.iter().map(|a| a.assigned()).sum::<f64>()
    );
    assert_eq!(result.agents[1].assigned(), 0.0);
}

/// Puts every chat in its group's queue and leaves the rest to whoever
/// drives the engine.
#[derive(Default)]
struct Holding {
    waiting: Vec<ChatRef>,
}

impl Dispatcher for Holding {
    fn on(&mut self, notice: Notice, _: &mut Ctx<'_>, out: &mut Commands<'_>) -> bool {
        if let Notice::Arrived(info) = notice {
            self.waiting.push(info.chat);
            out.push(Command::Wait {
                chat: info.chat,
                queue: info.group,
                class: Class::normal(0),
            });
        }
        false
    }
}

#[test]
fn decisions_injected_from_outside_apply_at_the_current_time_and_bad_ones_are_refused() {
    let sc = parse(TWO_AGENTS);
    let mut engine = Engine::with_dispatcher(&sc, 0, Holding::default());
    // Let the first chat wait ten minutes, then decide from outside.
    let first = engine.next_time().expect("an arrival");
    while engine.now() < first + 10 * 60_000 {
        engine.step();
    }
    let chat = engine.dispatcher().waiting[0];
    let assign = Command::Assign {
        chat,
        agent: 1,
        reason: Reason::Direct,
    };
    assert_eq!(engine.inject(assign), Ok(()));
    // Twice is refused: the chat is with an agent now.
    assert_eq!(engine.inject(assign), Err(Refused::WrongState));
    let bad = [
        (
            Command::Assign {
                chat,
                agent: 9,
                reason: Reason::Direct,
            },
            Refused::NoSuchAgent,
        ),
        (
            Command::Assign {
                chat: ChatRef {
                    slot: chat.slot,
                    id: chat.id + 1_000,
                },
                agent: 0,
                reason: Reason::Direct,
            },
            Refused::NoSuchChat,
        ),
        (
            Command::Offer {
                chat,
                agent: 0,
                reason: Reason::Direct,
            },
            Refused::NoOffers,
        ),
        (Command::Overflow { chat, to: 3 }, Refused::NoSuchQueue),
    ];
    for (command, why) in bad {
        assert_eq!(engine.inject(command), Err(why), "{command:?}");
    }
    engine.run();
    let result = engine.finish();
    // Only the injected chat was answered; the others waited until they gave up or the run ended.
    assert_eq!(result.agents[1].assigned(), 1.0);
    assert_eq!(result.agents[0].assigned(), 0.0);
}
