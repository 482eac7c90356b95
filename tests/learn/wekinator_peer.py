"""A Wekinator input-and-output program, as a separate process, written with python-osc alone.

It listens for /wek/outputs on a free port (printed first), reads the learner's input port
from stdin, sends a few bad messages and then /wek/inputs messages one at a time, each
followed by waiting for the reply, and prints every message it received as JSON.
"""
from __future__ import annotations

import json
import socket
import sys

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

received: list[list] = []
dispatcher = Dispatcher()
dispatcher.set_default_handler(lambda address, *args: received.append([address, list(args)]))
server = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
server.timeout = 5.0
print(server.server_address[1], flush=True)

engine_port = int(sys.stdin.readline())
client = SimpleUDPClient("127.0.0.1", engine_port)
client.send_message("/wek/inputs", [0.5])                  # wrong arity
client.send_message("/wek/inputs", ["left", "right"])      # wrong types
client.send_message("/not/wekinator", [1.0, 2.0])          # an address nobody handles
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
    raw.sendto(b"\x00garbage", ("127.0.0.1", engine_port))  # not OSC at all

for line in sys.stdin:
    if not line.strip():
        break
    client.send_message("/wek/inputs", [float(v) for v in json.loads(line)])
    before = len(received)
    while len(received) == before:
        server.handle_request()        # returns after server.timeout with nothing received
        if len(received) == before:
            break
print(json.dumps(received), flush=True)
