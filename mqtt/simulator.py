"""`dimos sensors simulate`: plausible readings of the demo's bays, car parks, APs and traffic
cameras over MQTT.

Bays fill and empty around a daily cycle (busy late morning and evening, quiet at night) with
arrivals and departures of ~45 min stays; each sensor reports on change and every
``heartbeat_s``; a few sensors drop out for a while; batteries run down. Car parks count free
spaces on the same cycle; APs report clients and, now and then, go down; cameras count each
lane's vehicles every five minutes on the junctions' daily curve (the demo history's: morning
and evening peaks, summer weekends busier). Most drivers taking a
paying bay pay for a session (PAID_SHARE, written as the payment app's would be), so the
wardens' list holds the few who did not.
"""
from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import psycopg2

from gis import db, parking, sensors
from gis.demo_history import (
    PAID_SHARE,
    SUMMER_MONTHS,
    SUMMER_WEEKEND,
    TRAFFIC_CURVE,
    WINTER_WEEKEND,
)
from gis.errors import DatabaseUnavailable
from gis.local_time import LOCAL_TIME
from servers import broker_accounts
from settings import Settings

log = logging.getLogger("dimos.sensors")

MEAN_STAY_S = 45 * 60
DROPOUT_PER_HOUR = 0.01
DROPOUT_S = (10 * 60, 60 * 60)
PAID_MINUTES = (30, 150)  # what a driver pays for
COUNT_INTERVAL_S = 300  # a camera sends its counts every five minutes


def demand(moment: datetime) -> float:
    """Share of bays wanted at this local hour (Greece is UTC+2/+3; +2 is close enough)."""
    hour = (moment.hour + 2 + moment.minute / 60) % 24
    morning = math.exp(-((hour - 11.5) / 2.5) ** 2)
    evening = math.exp(-((hour - 20.0) / 2.0) ** 2)
    return min(0.95, 0.2 + 0.7 * max(morning, 0.95 * evening))


def traffic(moment: datetime) -> float:
    """Vehicles an hour through a junction at this moment (the demo history's local curve)."""
    local = moment.astimezone(LOCAL_TIME)
    hour = local.hour + local.minute / 60
    now, then = TRAFFIC_CURVE[local.hour], TRAFFIC_CURVE[(local.hour + 1) % 24]
    flow = now + (then - now) * (hour - local.hour)
    if local.isoweekday() >= 6:
        flow *= SUMMER_WEEKEND if local.month in SUMMER_MONTHS else WINTER_WEEKEND
    return flow


@dataclass
class Device:
    jurisdiction: str
    kind: str
    sensor_id: str
    capacity: int
    occupied: bool
    battery: float
    next_heartbeat: float
    silent_until: float = 0.0
    up: bool = True
    bay_id: str | None = None
    pays: bool = False  # a paying bay (regular, with a tariff)
    lanes: tuple[str, ...] = ()  # a camera's approaches and lanes: N1, N2, E1…

    @property
    def topic(self) -> str:
        return f"dimos/{self.jurisdiction}/{self.kind}/{self.sensor_id}"


class Simulator:
    def __init__(self, settings: Settings, heartbeat_s: float = 60.0, seed: int = 2100,
                 jurisdiction: str | None = None, dropouts: bool = True):
        self.settings = settings
        self.heartbeat_s = heartbeat_s
        self.random = random.Random(seed)
        self.jurisdiction = jurisdiction
        self.dropouts = dropouts
        self.published = 0
        self.acknowledged = 0
        self.paid = 0  # sessions recorded
        self._payments = None  # the connection they are written on
        self._ack_lock = threading.Lock()
        self._stop = threading.Event()
        self.devices = self._devices()

    def _devices(self) -> list[Device]:
        with db.connect(self.settings.effective_database_url) as conn, conn.cursor() as cur:
            rows = sensors.simulated_sensors(cur, self.jurisdiction)
        conn.close()
        start = time.monotonic()
        return [Device(j, kind, sensor_id, capacity, occupied,
                       battery=self.random.uniform(12, 100),
                       next_heartbeat=start + self.random.uniform(0, self.heartbeat_s),
                       bay_id=bay_id, pays=pays,
                       lanes=self._lanes() if kind == "camera" else ())
                for j, kind, sensor_id, capacity, occupied, bay_id, pays in rows]

    def _lanes(self) -> tuple[str, ...]:
        """A junction of three or four arms, each of one or two lanes."""
        arms = "NESW" if self.random.random() < 0.6 else self.random.choice(("NES", "ESW", "NSW"))
        return tuple(f"{arm}{lane}" for arm in arms
                     for lane in range(1, self.random.choice((1, 1, 2)) + 1))

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self._ack_lock:
            self.acknowledged += 1

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:  # wrong credentials: say so rather than publish into nothing
            log.warning("the broker refused the simulator: %s", reason_code)

    def run(self, duration_s: float | None = None, tick_s: float = 0.2) -> None:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="",
                             clean_session=True)
        client.max_inflight_messages_set(1000)
        client.username_pw_set(*broker_accounts.credentials(self.settings,
                                                            broker_accounts.SIMULATOR))
        client.on_publish = self._on_publish
        host, port = self.settings.mqtt_address
        client.on_connect = self._on_connect
        client.connect(host, port, keepalive=30)
        client.loop_start()
        deadline = None if duration_s is None else time.monotonic() + duration_s
        try:
            while not self._stop.is_set() and (deadline is None or time.monotonic() < deadline):
                started = time.monotonic()
                arrived = []
                for device in self.devices:
                    was_occupied = device.occupied
                    payload = self._step(device, started, tick_s)
                    if payload is not None:
                        client.publish(device.topic, json.dumps(payload), qos=1)
                        self.published += 1
                    if device.occupied and not was_occupied and device.pays:
                        arrived.append(device)
                self.record_payments(arrived)
                self._stop.wait(max(0.0, tick_s - (time.monotonic() - started)))
        finally:
            if self._payments is not None:
                self._payments.close()
            client.loop_stop()
            client.disconnect()

    def record_payments(self, arrived: list[Device]) -> None:
        """The sessions the drivers who just took paying bays paid for (most of them); with the
        database away, none (the readings go on)."""
        paying = [d for d in arrived if self.random.random() < PAID_SHARE]
        if not paying:
            return
        now = datetime.now(UTC)
        try:
            if self._payments is None:
                self._payments = db.connect(self.settings.effective_database_url)
            with self._payments, self._payments.cursor() as cur:
                for device in paying:
                    minutes = self.random.randint(*PAID_MINUTES)
                    parking.record_session(cur, device.jurisdiction,
                                           f"sim-{device.bay_id}-{int(now.timestamp() * 1000)}",
                                           device.bay_id, None, now, now + timedelta(minutes=minutes))
            self.paid += len(paying)
        except (psycopg2.Error, DatabaseUnavailable) as error:
            log.warning("the simulator's parking payments were not recorded: %s", error)
            self._payments = None

    def stop(self) -> None:
        self._stop.set()

    def _step(self, device: Device, now: float, tick_s: float) -> dict | None:
        """The device's reading this tick, or None."""
        wall = datetime.now(UTC)
        if device.silent_until > now:
            return None
        if self.dropouts and self.random.random() < DROPOUT_PER_HOUR * tick_s / 3600:
            device.silent_until = now + self.random.uniform(*DROPOUT_S)
            return None
        if device.kind == "camera":
            return self._counts(device, now, wall)
        changed = False
        if device.kind == "bay":
            target = demand(wall)
            leave = tick_s / MEAN_STAY_S
            arrive = leave * target / max(0.05, 1 - target)
            if self.random.random() < (leave if device.occupied else arrive):
                device.occupied = not device.occupied
                changed = True
        elif device.kind == "ap" and self.random.random() < (0.002 if device.up else 0.05) * tick_s:
            device.up = not device.up
            changed = True
        if not changed and now < device.next_heartbeat:
            return None
        device.next_heartbeat = now + self.heartbeat_s
        device.battery = max(0.0, device.battery - 0.0001)
        ts = wall.isoformat(timespec="milliseconds")
        if device.kind == "bay":
            return {"ts": ts, "occupied": device.occupied, "battery": round(device.battery, 1)}
        if device.kind == "lot":
            share = min(1.0, max(0.0, demand(wall) + self.random.gauss(0, 0.05)))
            return {"ts": ts, "free": round(device.capacity * (1 - share))}
        clients = round(self.random.expovariate(1 / (30 * demand(wall)))) if device.up else 0
        return {"ts": ts, "up": device.up, "clients": min(clients, 250)}

    def _counts(self, device: Device, now: float, wall: datetime) -> dict | None:
        """A camera's counts of the interval just ended, once an interval (``ts`` its start)."""
        if now < device.next_heartbeat:
            return None
        device.next_heartbeat = now + COUNT_INTERVAL_S
        per_lane = traffic(wall) * COUNT_INTERVAL_S / 3600 / len(device.lanes)
        counts = {lane: max(0, round(self.random.gauss(per_lane, math.sqrt(per_lane) + 0.5)))
                  for lane in device.lanes}
        started = wall - timedelta(seconds=COUNT_INTERVAL_S)
        return {"ts": started.isoformat(timespec="seconds"), "interval_s": COUNT_INTERVAL_S,
                **counts}
