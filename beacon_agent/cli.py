"""``beacon-agent``: run | replay | simulate | calibrate | status | enrol | provision.

Logs go to stderr without timestamps: under systemd, journald adds them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from beacon_agent import config as agent_config
from beacon_agent import simulator
from rewards_protocol import trace
from rewards_protocol.presence import DEFAULT_COMPANY_ID

if TYPE_CHECKING:
    from collections.abc import Callable

    from beacon_agent.engine import PresenceEngine
    from beacon_agent.memory import Learned

EXIT_CONFIG = 2
EXIT_SCANNER_FAILED = 3
EXIT_UPLOAD_FAILED = 4
EXIT_CALIBRATION_FAILED = 5
EXIT_TRACE = 6  # replay: no trace to read (no file, its header not one, no advert in it)
SKIPPED_SHOWN = 3  # replay: the lines passed over that it names


def _load(args: argparse.Namespace) -> agent_config.AgentConfig:
    try:
        cfg = agent_config.load(args.config)
        cfg.secret()  # fail now, with the fix in the message, not at the first upload
        return cfg
    except agent_config.ConfigError as exc:
        print(f"beacon-agent: {exc}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)


def cmd_run(args: argparse.Namespace) -> int:
    from beacon_agent import constants
    from beacon_agent.radio import BlueZRadio, ScannerFailed, SimulatedRadio, SpeedClock
    from beacon_agent.service import AgentService
    from beacon_agent.upload import AgentApi

    cfg = _load(args)
    if args.simulated_radio:
        clock = SpeedClock(args.speed, origin=args.clock_origin)
        # Requests are stamped on the simulated clock too: the API of a simulated store
        # (the demo's) runs on the same one. Events gather for the upload interval of that
        # clock's time: 1/N of it in real time on a clock N times fast (at the demo's 30x,
        # 5 s of real time were 2.5 simulated minutes before a walk-in was credited).
        service = AgentService(cfg, lambda on_advert: SimulatedRadio(args.simulated_radio,
                                                                     on_advert, clock),
                               api=lambda: AgentApi(cfg.api_url, cfg.agent_id, cfg.secret(),
                                                    clock=clock),
                               clock=clock, upload_every_s=constants.UPLOAD_INTERVAL_S / args.speed)
    else:
        service = AgentService(cfg, lambda on_advert: BlueZRadio(cfg.adapter, on_advert))
    try:
        asyncio.run(service.run())
    except ScannerFailed as exc:
        logging.getLogger("beacon_agent").error("%s; exiting so that systemd restarts us", exc)
        return EXIT_SCANNER_FAILED
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from beacon_agent.outbox import Outbox
    from beacon_agent.replay import replay
    from beacon_agent.upload import AgentApi, ApiUnavailable, Uploader

    cfg = _load(args) if args.upload else None
    outbox = Outbox(cfg.outbox_path) if cfg else None
    settings = cfg.presence if cfg else None
    company_id = cfg.company_id if cfg else args.company_id
    skipped: list[str] = []
    try:
        # Bytes that are not UTF-8 (a sector of the card gone bad) spoil their line only.
        with open(args.trace, encoding="utf-8", errors="replace") as lines, \
                open(args.events_out, "w") as events_out:
            result = replay(lines, events_out, settings=settings, company_id=company_id,
                            outbox=outbox, skipped=skipped)
    except (OSError, trace.TraceError) as exc:
        print(f"beacon-agent: {exc}", file=sys.stderr)
        return EXIT_TRACE
    if skipped:
        shown = "; ".join(skipped[:SKIPPED_SHOWN]) + ("; ..." if len(skipped) > SKIPPED_SHOWN else "")
        print(f"beacon-agent: passed over {len(skipped)} lines of {args.trace} that are not "
              f"advertisements ({shown})", file=sys.stderr)
        if not result.adverts:
            print(f"beacon-agent: no advertisement in {args.trace}: is it a trace "
                  "(PROTOCOLS.md section 5)?", file=sys.stderr)
            return EXIT_TRACE
    if result.out_of_order:
        print(f"beacon-agent: {result.out_of_order} adverts of {args.trace} are earlier than one "
              f"before them (by up to {result.back_s:.3f} s): a trace is sorted by t (PROTOCOLS.md "
              "section 5); they were decided as they came, which may miss walk-ins", file=sys.stderr)
    print(f"{result.adverts} adverts, {result.frames} presence frames, {result.events} events "
          f"-> {args.events_out}")
    if result.clock_ahead_s:
        print(f"the trace's clock is {_ahead_or_behind(result.clock_ahead_s)} the "
              "phones' (where they change token): taken into account from when it was learned")
    if cfg and outbox:
        api = AgentApi(cfg.api_url, cfg.agent_id, cfg.secret())
        try:
            sent = Uploader(outbox, api).drain(stop=_attempts(args.attempts))
        except ApiUnavailable as exc:
            print(f"upload failed, {outbox.depth()} events stay queued in {cfg.outbox_path}: "
                  f"{exc}", file=sys.stderr)
            return EXIT_UPLOAD_FAILED
        finally:
            api.close()
        counters = outbox.counters()
        print(f"uploaded {sent} events: " + ", ".join(
            f"{counters.get(k, 0)} {k}" for k in ("accepted", "duplicate", "rejected", "refused")))
    return 0


def _attempts(n: int):  # type: ignore[no-untyped-def]
    from tenacity import stop_after_attempt

    return stop_after_attempt(n)


def cmd_simulate(args: argparse.Namespace) -> int:
    tokens = json.loads(Path(args.tokens).read_text()) if args.tokens else None
    start = args.start if args.start is not None else (time.time() if tokens else
                                                       simulator.Scenario.start)
    given = {"noise_db": args.noise_db, "loss": args.loss,
             "dwell_minutes": tuple(args.dwell_minutes) if args.dwell_minutes else None}
    try:
        site = simulator.load_site(args.site_file) if args.site_file else simulator.site_named(args.site)
        site = replace(site, **{k: v for k, v in given.items() if v is not None})
    except (OSError, ValueError) as exc:
        sys.exit(f"beacon-agent: {exc}")
    scenario = simulator.Scenario(
        seed=args.seed, minutes=args.minutes, walk_ins=args.walk_ins,
        window_shoppers=args.window_shoppers, passers_by=args.passers_by,
        agent=args.agent, start=start, site=site)
    with open(args.out, "w") as out, open(args.truth, "w") as truth:
        try:
            if args.walk_test:
                count = _write_walk_test(site, args.seed, start, out, truth)
            else:
                count = simulator.write(scenario, out, truth, tokens, args.company_id)
        except ValueError as exc:
            sys.exit(f"beacon-agent: {exc}")
    print(f"{count} adverts at {site.name} -> {args.out}; ground truth -> {args.truth}")
    return 0


ADVICE = {  # the installer's words for the advice codes (the dashboard has its own)
    "street_too_loud": "It hears the street too loudly: move it further into the store.",
    "inside_too_quiet": "It hears shoppers inside too faintly: move it closer to the door "
                        "or lower.",
    "needs_more_traffic": "It is still learning this entrance: it needs more shoppers.",
    "slow_walk_ins": "Walk-ins are confirmed after about 5 minutes here: at this door it "
                     "cannot tell a shopper coming in from one at the window. A shopper who "
                     "leaves sooner gets no walk-in points; tell shoppers it takes 5 minutes.",
    "far_end_unheard": "It does not hear the far end of the shop: walk-ins who go to the back "
                       "may be missed when their phone changes its code there. Add a second "
                       "agent mid-floor: the Agents page in the back office says how.",
}


def cmd_calibrate(args: argparse.Namespace) -> int:
    """The walk test: guided live with the adapter, or from a recorded trace; the result
    goes into the config file unless ``--dry-run``."""
    from beacon_agent import calibration

    path = agent_config.path_of(args.config)
    try:
        cfg = agent_config.load(path) if path.exists() or not args.dry_run else None
    except agent_config.ConfigError as exc:
        sys.exit(f"beacon-agent: {exc}")
    settings = cfg.presence if cfg else None
    company_id = cfg.company_id if cfg else DEFAULT_COMPANY_ID
    try:
        if args.from_trace:
            with open(args.from_trace) as lines:
                spans, adverts, start = calibration.read_trace(lines)
        else:
            clock_ahead_s = _clock_ahead_of_phones(cfg)
            if clock_ahead_s:
                print(f"This Pi's clock is {_ahead_or_behind(clock_ahead_s)} the phones' (it "
                      "has no network time): the walk test keeps to the phones' clock.")
            spans, adverts = asyncio.run(_walk_test(cfg.adapter if cfg else "hci0", clock_ahead_s))
            start = spans[0].start - calibration.PHASES[0].settle_s
            if args.save_trace:
                with open(args.save_trace, "w") as out:
                    calibration.write_trace(out, spans, adverts, start)
                print(f"recorded the walk test -> {args.save_trace}")
        result = calibration.analyse(adverts, spans, settings, company_id=company_id)
    except calibration.WalkTestFailed as exc:
        print(f"beacon-agent: the walk test failed: {exc}", file=sys.stderr)
        return EXIT_CALIBRATION_FAILED
    except OSError as exc:
        sys.exit(f"beacon-agent: {exc}")
    _print_walk_test(result)
    if args.dry_run:
        print("dry run: nothing saved")
        return 0
    calibrated_at = calibration.iso(spans[-1].end)
    try:
        agent_config.store_calibration(path, result.outside_dbm, result.inside_dbm, calibrated_at,
                                       result.far_end_dbm)
    except (agent_config.ConfigError, OSError) as exc:
        sys.exit(f"beacon-agent: the walk test could not be saved: {exc}")
    print(f"saved in {path}; restart the agent to use it (systemctl restart beacon-agent)")
    return 0


async def _walk_test(adapter: str, clock_ahead_s: float):  # type: ignore[no-untyped-def]
    from beacon_agent import calibration
    from beacon_agent.radio import BlueZRadio

    return await calibration.record(lambda on_advert: BlueZRadio(adapter, on_advert), time.time,
                                    lambda line: print(line, flush=True),
                                    clock_ahead_s=clock_ahead_s)


def _ahead_or_behind(clock_ahead_s: float) -> str:
    """``200 s ahead of`` or ``230 s behind``: a clock against the phones'."""
    ahead = round(clock_ahead_s)
    return f"{abs(ahead)} s {'ahead of' if ahead > 0 else 'behind'}"


def _clock_ahead_of_phones(cfg: agent_config.AgentConfig | None,
                           clock: Callable[[], float] = time.time) -> float:
    """How far this Pi's clock (``clock``) is ahead of the phones' (behind: below 0): as
    the running agent learned it from where they change token (its status, written in
    the last ``STATUS_CURRENT_S``: ``boundaries``), or else by the API's clock (phones
    keep network time, as the API does; ``AgentApi.api_clock_ahead_s``), taken as the
    agent takes it (``Boundaries.suppose``: within half a window, 0 within seconds);
    0 where neither can say."""
    from beacon_agent.boundaries import Boundaries
    from beacon_agent.constants import STATUS_CURRENT_S
    from beacon_agent.outbox import Outbox
    from beacon_agent.upload import AgentApi, ApiUnavailable

    if cfg is None:
        return 0.0
    if cfg.outbox_path.exists():
        outbox = Outbox(cfg.outbox_path)
        try:
            status = outbox.status()
        finally:
            outbox.close()
        ahead, updated_at = status.get("clock_ahead_of_phones_s"), status.get("updated_at")
        if isinstance(ahead, int | float) and ahead and isinstance(updated_at, int | float) \
                and abs(clock() - updated_at) <= STATUS_CURRENT_S:
            return float(ahead)
    boundaries = Boundaries()
    try:
        api = AgentApi(cfg.api_url, cfg.agent_id, cfg.secret(), clock=clock)
        try:
            boundaries.suppose(-api.api_clock_ahead_s())
        finally:
            api.close()
    except (ApiUnavailable, agent_config.ConfigError):
        pass
    return boundaries.offset


def _print_walk_test(result) -> None:  # type: ignore[no-untyped-def]
    print(f"Your phone under the agent:  {_level(result.under_dbm)}")
    print(f"At the glass, loudest:       {_level(result.glass_dbm)}")
    print(f"Walking past, loudest:       {_level(result.pavement_dbm)}")
    print(f"3 m inside the door:         {_level(result.inside_dbm)}")
    print(f"At the far end:              {_far_end(result.far_end_dbm)}")
    if result.tokens > 1:
        print(f"(your phone changed its token {result.tokens - 1} time(s); followed)")
    if not result.advice:
        print("Advice: none, the agent hangs well.")
    for code in result.advice:
        print(f"Advice: {ADVICE[code]}")


def _level(dbm: float | None) -> str:
    return "not heard" if dbm is None else f"{dbm:.1f} dBm"


def _far_end(dbm: float | None) -> str:
    """The walk test's far-end reading, or why there is none."""
    from beacon_agent.calibration import RECEIVER_FLOOR_DBM

    if dbm is None:
        return "not measured (a walk test without the far-end step)"
    return _level(None if dbm <= RECEIVER_FLOOR_DBM else dbm)


def _calibration_line(cfg: agent_config.AgentConfig) -> str:
    if cfg.calibration_method is None:
        return "none (safe defaults; the agent learns from the store's traffic)"
    return (f"walk test on {cfg.calibrated_at} (outside {_level(cfg.presence.outside_dbm)}, "
            f"inside {_level(cfg.presence.inside_dbm)}, far end {_far_end(cfg.far_end_dbm)})")


def _write_walk_test(site: simulator.Site, seed: int, start: float, out, truth) -> int:  # type: ignore[no-untyped-def]
    """An installer's walk test at ``site`` amid its traffic, timed as ``calibrate`` times it."""
    from beacon_agent import calibration

    phases = [(span.name, span.start, span.end) for span in calibration.schedule(0.0)]
    simulation = simulator.walk_test(site, phases, seed=seed, start=start)
    adverts = list(simulation.adverts)
    trace.write(out, adverts, simulation.header)
    json.dump(simulation.truth(), truth, indent=1)
    return len(adverts)


def _learned_line(learned: Learned | None, engine: PresenceEngine) -> str:
    """What the agent has learned of its entrance from the store's traffic, as last saved:
    also how long a phone must be heard to be let in on its minutes there, at the gate
    and fainter (``PresenceEngine.minutes_needed``)."""
    if learned is None:
        return "nothing yet"
    site = learned.learning.state()
    saved = f"saved {_local_time(learned.saved_at)}"
    if not site.learned:
        return (f"still learning: {site.outsiders} phones outside and {site.insiders} inside "
                f"heard so far ({saved})")
    since = "" if learned.learned_at is None else f" since {_local_time(learned.learned_at)}"
    gate, fainter = engine.enter_level(), engine.minutes_needed(-math.inf)
    at_gate = engine.minutes_needed(gate) if gate < math.inf else fainter
    let_in = f"a phone heard for {fainter / 60.0:.1f} minutes is let in"
    if at_gate < fainter:
        let_in = (f"a phone heard for {at_gate / 60.0:.1f} minutes at {_level(gate)} or "
                  f"louder is let in ({fainter / 60.0:.1f} minutes fainter)")
    return (f"the entrance{since}, from {site.outsiders} phones outside (loudest "
            f"{_level(site.outside_dbm)}) and {site.insiders} inside (median "
            f"{_level(site.inside_dbm)}); {let_in}; {saved}")


def _learned_json(learned: Learned | None, engine: PresenceEngine) -> dict[str, object] | None:
    if learned is None:
        return None
    site = learned.learning.state()
    return {"learned": site.learned, "learned_at": learned.learned_at,
            "outsiders": site.outsiders, "insiders": site.insiders,
            "outside_dbm": site.outside_dbm, "inside_dbm": site.inside_dbm,
            "long_dwell_s": round(engine.long_dwell(), 1), "saved_at": learned.saved_at}


def _engine(cfg: agent_config.AgentConfig, learned: Learned | None) -> PresenceEngine:
    """An engine with this config and what the agent has learned: what ``status`` reports
    (the heartbeat's advice, how long phones wait)."""
    from beacon_agent.engine import PresenceEngine

    engine = PresenceEngine(cfg.presence)
    if learned is not None:
        engine.learned = learned.learning
    return engine


def _advice(engine: PresenceEngine, cfg: agent_config.AgentConfig) -> list[str]:
    """The advice codes the agent's heartbeat gives (``calibration.report``)."""
    from beacon_agent import calibration

    return calibration.report(engine, cfg)["advice"]


def _local_time(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(t))


def cmd_status(args: argparse.Namespace) -> int:
    from beacon_agent.memory import Memory
    from beacon_agent.outbox import Outbox

    cfg = _load(args)
    if not cfg.outbox_path.exists():
        sys.exit(f"beacon-agent: no outbox at {cfg.outbox_path} (has the agent run yet?)")
    outbox = Outbox(cfg.outbox_path)
    status = {"queue_depth": outbox.depth(), **outbox.status(), **outbox.counters()}
    learned = Memory(outbox, cfg).recall()
    outbox.close()
    engine = _engine(cfg, learned)
    advice = _advice(engine, cfg)
    if args.json:
        calibration = {"method": cfg.calibration_method, "calibrated_at": cfg.calibrated_at,
                       "outside_dbm": cfg.presence.outside_dbm,
                       "inside_dbm": cfg.presence.inside_dbm, "far_end_dbm": cfg.far_end_dbm}
        print(json.dumps({**status, "calibration": calibration,
                          "learned": _learned_json(learned, engine),
                          "advice": advice}, indent=1))
        return 0
    status["calibration"] = _calibration_line(cfg)
    status["learned"] = _learned_line(learned, engine)
    status["advice"] = " ".join(ADVICE[code] for code in advice) or "none"
    for name in ("last_upload_at", "updated_at"):
        if name in status:
            status[name] = _local_time(status[name])
    for name, value in status.items():
        print(f"{name.replace('_', ' ')}: {value}")
    return 0


def cmd_provision(args: argparse.Namespace) -> int:
    from beacon_agent.upload import AgentApi, AgentApiError

    secret = sys.stdin.readline().strip() if args.secret == "-" else args.secret
    path = args.config or agent_config.DEFAULT_PATH
    try:
        agent_config.write(path, args.api_url, args.agent_id, secret, args.state_dir)
    except (agent_config.ConfigError, ValueError) as exc:
        sys.exit(f"beacon-agent: {exc}")
    print(f"wrote {path} and {path.with_name('secret')} (mode 0600)")
    if args.offline:
        return 0
    cfg = agent_config.load(path)
    api = AgentApi(cfg.api_url, cfg.agent_id, cfg.secret())
    try:
        remote = api.fetch_config()
    except AgentApiError as exc:
        print(f"the API did not accept this agent yet: {exc}", file=sys.stderr)
        return EXIT_UPLOAD_FAILED
    finally:
        api.close()
    print(f"the API knows this agent: store {remote.get('store')}")
    return 0


def cmd_enrol(args: argparse.Namespace) -> int:
    """Fetch the agent's id and secret once with the back office's enrolment code, and
    write the config and secret files."""
    from beacon_agent.upload import ApiRefused, ApiUnavailable, enrol

    path = args.config or agent_config.DEFAULT_PATH
    try:
        credentials = enrol(args.api, args.code)
    except ApiRefused as exc:
        print(f"beacon-agent: the API refused the code ({exc.code}); ask the back office "
              "for a new enrolment code", file=sys.stderr)
        return EXIT_CONFIG
    except ApiUnavailable as exc:
        print(f"beacon-agent: no answer from the API, nothing was written: {exc}",
              file=sys.stderr)
        return EXIT_UPLOAD_FAILED
    try:
        agent_config.write(path, args.api, credentials["agent_id"], credentials["secret"],
                           args.state_dir)
    except (agent_config.ConfigError, OSError) as exc:
        # The code is spent: say what to do rather than lose the secret silently.
        print(f"beacon-agent: enrolled, but {path} could not be written ({exc}); ask the "
              "back office for a new enrolment code and run again as root", file=sys.stderr)
        return EXIT_CONFIG
    print(f"enrolled as agent {credentials['agent_id']} of store {credentials['store']}; "
          f"wrote {path} and {path.with_name('secret')} (mode 0600)")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="beacon-agent", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--config", type=Path, default=None,
                        help=f"config file (default {agent_config.DEFAULT_PATH} or "
                             "$BEACON_AGENT_CONFIG)")

    run = sub.add_parser("run", help="scan, decide and upload (the service)")
    with_config(run)
    run.add_argument("--simulated-radio", type=Path, metavar="TRACE_OR_FIFO",
                     help="read adverts from a trace instead of the Bluetooth adapter")
    run.add_argument("--speed", type=float, default=1.0,
                     help="play the simulated radio (and run the engine's clock) this many "
                          "times faster than real time")
    run.add_argument("--clock-origin", type=float, default=None, metavar="UNIX",
                     help="with --speed: the wall time at which the sped-up clock read real "
                          "time (default: the start); processes given the same one agree")
    run.set_defaults(func=cmd_run)

    rp = sub.add_parser("replay", help="a trace through the engine, as fast as it goes")
    with_config(rp)
    rp.add_argument("trace", type=Path)
    rp.add_argument("--events-out", type=Path, required=True)
    rp.add_argument("--upload", action="store_true",
                    help="also queue the events in the outbox and upload them")
    rp.add_argument("--attempts", type=int, default=8, help="upload attempts per batch")
    rp.add_argument("--company-id", type=int, default=DEFAULT_COMPANY_ID)
    rp.set_defaults(func=cmd_replay)

    sim = sub.add_parser("simulate", help="write a simulated store entrance trace")
    sim.add_argument("--out", type=Path, required=True)
    sim.add_argument("--truth", type=Path, required=True)
    d = simulator.Scenario()
    sim.add_argument("--site", default=d.site.name,
                     help=f"a site of the library ({', '.join(simulator.SITES)}) or random-N "
                          "(a store drawn from the library's ranges)")
    sim.add_argument("--site-file", type=Path,
                     help="your own store: a JSON or TOML file of site settings (see README)")
    sim.add_argument("--seed", type=int, default=d.seed)
    sim.add_argument("--minutes", type=float, default=d.minutes)
    sim.add_argument("--walk-ins", type=int, help="default: the site's hourly traffic")
    sim.add_argument("--window-shoppers", type=int, help="default: the site's hourly traffic")
    sim.add_argument("--passers-by", type=int, help="default: the site's hourly traffic")
    sim.add_argument("--dwell-minutes", type=float, nargs=2, metavar=("MIN", "MAX"),
                     help="how long walk-ins stay inside (default: the site's)")
    sim.add_argument("--noise-db", type=float, help="default: the site's")
    sim.add_argument("--loss", type=float, help="default: the site's")
    sim.add_argument("--agent", choices=(simulator.ENTRANCE, simulator.DEEP), default=d.agent)
    sim.add_argument("--start", type=float, default=None,
                     help="unix time of t=0 (default: now with --tokens, else a fixed time)")
    sim.add_argument("--tokens", type=Path,
                     help="JSON: shopper label -> GET /v1/me/presence-tokens list; those "
                          "shoppers walk in first (default: tokens from a test key)")
    sim.add_argument("--company-id", type=int, default=DEFAULT_COMPANY_ID)
    sim.add_argument("--walk-test", action="store_true",
                     help="an installer's walk test amid the site's traffic, for "
                          "`calibrate --from-trace` (--minutes and the crowd are ignored)")
    sim.set_defaults(func=cmd_simulate)

    ca = sub.add_parser("calibrate", help="the walk test: guides the installer through it "
                        "and stores the entrance's levels in the config")
    with_config(ca)
    ca.add_argument("--from-trace", type=Path, metavar="FILE",
                    help="calibrate from a recorded walk test (a trace with the steps' times)")
    ca.add_argument("--save-trace", type=Path, metavar="FILE",
                    help="also record the live walk test to FILE")
    ca.add_argument("--dry-run", action="store_true", help="print the result, save nothing")
    ca.set_defaults(func=cmd_calibrate)

    st = sub.add_parser("status", help="queue depth, last upload, adverts/s, scanner state")
    with_config(st)
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    en = sub.add_parser("enrol", help="fetch the agent's id and secret with a one-time "
                        "enrolment code from the back office, and write the config")
    with_config(en)
    en.add_argument("code", help="the enrolment code, e.g. ABCD-EFGH-JKMN-PQRS")
    en.add_argument("--api", required=True, help="the rewards API's address (https://...)")
    en.add_argument("--state-dir", type=Path, default=None)
    en.set_defaults(func=cmd_enrol)

    pr = sub.add_parser("provision", help="write the config from an agent id and secret")
    with_config(pr)
    pr.add_argument("--api-url", required=True)
    pr.add_argument("--agent-id", required=True)
    pr.add_argument("--secret", default="-",
                    help="the secret in hex; '-' (default) reads it from stdin")
    pr.add_argument("--state-dir", type=Path, default=None)
    pr.add_argument("--offline", action="store_true",
                    help="do not check the new config against the API")
    pr.set_defaults(func=cmd_provision)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a journal line per request
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
