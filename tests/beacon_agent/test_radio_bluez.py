"""The scanner layer through real bleak on its BlueZ backend, against python-dbusmock's
``bluez5`` template on a private D-Bus system bus (there is no radio here; D-Bus is the
boundary bleak talks across)."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dbus
import dbusmock
import pytest

from beacon_agent.engine import PresenceEngine
from beacon_agent.pipeline import Pipeline
from beacon_agent.radio import DISCOVERY_FILTER, SCANNING, BlueZRadio, ScannerFailed
from rewards_protocol.presence import DEFAULT_COMPANY_ID, encode_frame

ADDRESS = "7A:11:0C:9E:33:01"
DEVICE_PATH = "/org/bluez/hci0/dev_" + ADDRESS.replace(":", "_")
TOKEN = bytes(range(16, 32))


@pytest.fixture
def bluez(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """A private system bus with a mocked bluetoothd (its log in ``tmp_path/bluez.log``):
    adapter hci0 and one phone."""
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
    log = (tmp_path / "bluez.log").open("w")
    server, mock = dbusmock.DBusTestCase.spawn_server_template(
        "bluez5", {}, stdout=log, system_bus=True)
    try:
        control = dbus.Interface(mock, "org.bluez.Mock")
        control.AddAdapter("hci0", "store-entrance")
        control.AddDevice("hci0", ADDRESS, "phone")
        connection = dbus.bus.BusConnection(address)
        # The template's defaults for these two are arrays; BlueZ sends dictionaries.
        connection.get_object("org.bluez", DEVICE_PATH).UpdateProperties(
            "org.bluez.Device1", {"ManufacturerData": dbus.Dictionary({}, signature="qv"),
                                  "ServiceData": dbus.Dictionary({}, signature="sv")},
            dbus_interface=dbusmock.MOCK_IFACE)
        yield connection
        connection.close()
    finally:
        server.terminate()
        server.wait(10)
        bus.terminate()
        bus.wait(10)
        bus.stdout.close()
        log.close()


def advertise(system_bus: Any, rssi: int, company_id: int, payload: bytes) -> None:
    """What bluetoothd does when an advertisement arrives: update the device's RSSI and
    ManufacturerData (a{qv}: company id -> byte array) and signal PropertiesChanged."""
    device = system_bus.get_object("org.bluez", DEVICE_PATH)
    data = dbus.Dictionary({dbus.UInt16(company_id): dbus.Array(payload, signature="y")},
                           signature="qv")
    device.UpdateProperties("org.bluez.Device1", {"RSSI": dbus.Int16(rssi),
                                                  "ManufacturerData": data},
                            dbus_interface=dbusmock.MOCK_IFACE)


def calls(system_bus: Any, path: str) -> list[tuple[str, Any]]:
    mock = system_bus.get_object("org.bluez", path)
    return [(name, args) for _, name, args in mock.GetCalls(dbus_interface=dbusmock.MOCK_IFACE)]


async def until(condition: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)  # yield to the event loop while bleak works


def test_scanner_delivers_our_frames_to_the_engine(bluez: Any) -> None:
    engine = PresenceEngine()
    pipeline = Pipeline(engine, lambda decisions: None)
    heard: list[tuple[str, int]] = []

    def on_advert(address: str, rssi: int, data: dict[int, bytes], at: float | None) -> None:
        assert at is None  # the adapter's adverts are in the air now
        heard.append((address, rssi))
        pipeline.advert(1_763_800_300.0 + len(heard), rssi, data)

    async def scenario() -> None:
        radio = BlueZRadio("hci0", on_advert)
        stop = asyncio.Event()
        task = asyncio.create_task(radio.run(stop))
        await until(lambda: radio.state == SCANNING)
        ours = encode_frame(5, TOKEN)
        for n, rssi in enumerate((-90, -74, -66, -61)):
            await asyncio.to_thread(advertise, bluez, rssi, DEFAULT_COMPANY_ID, ours)
            await until(lambda n=n: pipeline.frames == n + 1)
        # Something else in the air (another company's data) is heard but not decided on.
        await asyncio.to_thread(advertise, bluez, -50, 0x004C, b"\x02\x15" + bytes(21))
        await until(lambda: pipeline.adverts == 5)
        stop.set()
        await task

    asyncio.run(scenario())
    assert pipeline.frames == 4 and len(engine) == 1
    token = next(iter(engine._tokens.values()))  # what the engine holds for the phone
    assert (token.frame.key_id, token.frame.token) == (5, TOKEN)
    assert token.count == 4 and token.rssi_max == -61
    assert heard[-1] == (ADDRESS, -50)
    adapter_calls = calls(bluez, "/org/bluez/hci0")
    filters = [args[0] for name, args in adapter_calls if name == "SetDiscoveryFilter"]
    assert filters[0]["DuplicateData"] is True or filters[0]["DuplicateData"] == 1
    assert filters[0]["RSSI"] == DISCOVERY_FILTER["RSSI"]
    assert [name for name, _ in adapter_calls] == ["SetDiscoveryFilter", "StartDiscovery",
                                                    "StopDiscovery", "SetDiscoveryFilter"]


def test_silent_scanner_escalates_then_gives_up(bluez: Any, tmp_path: Path) -> None:
    now = [0.0]
    radio = BlueZRadio("hci0", lambda *_: None, silence_s=60.0, check_every_s=0.01,
                       restarts=2, power_cycles=1, clock=lambda: now[0])

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(radio.run(stop))
        await until(lambda: radio.state == SCANNING)
        for step in range(1, 4):  # a minute of silence, three times: each check escalates
            now[0] += 61.0
            await until(lambda step=step: len(radio.recoveries) == step)
        now[0] += 61.0
        with pytest.raises(ScannerFailed):
            await task

    asyncio.run(scenario())
    assert radio.recoveries == ["restart", "restart", "power_cycle", "give_up"]
    adapter_calls = [name for name, _ in calls(bluez, "/org/bluez/hci0")]
    assert adapter_calls.count("StartDiscovery") == 4
    mock_log = (tmp_path / "bluez.log").read_text()
    assert [line.split()[-1] for line in mock_log.splitlines()
            if "Set /org/bluez/hci0 org.bluez.Adapter1.Powered" in line] == ["False", "True"]
