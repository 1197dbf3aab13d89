#!/usr/bin/python3
"""Turns .data test programs into fuzz_vm / fuzz_jit inputs (byte 0 = memory length, the
memory, then the byte code), so that the fuzzers start from every program of the corpora.
   make_seeds.py UBPF_CLI OUT_DIR DATA_DIR...
The memory is cut to 63 bytes (the inputs' limit); `ubpf asm` assembles each program."""
import pathlib
import subprocess
import sys
import tempfile


def memory(text):
    lines, on = [], False
    for line in text.splitlines():
        if line.startswith("--"):
            on = line.strip() == "-- mem"
        elif on:
            lines.append(line.split("#")[0])
    return bytes.fromhex("".join(lines).replace(" ", ""))[:63]


def main():
    cli, out = sys.argv[1], pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    made = 0
    with tempfile.TemporaryDirectory() as tmp:
        binary = pathlib.Path(tmp) / "code.bin"
        for folder in sys.argv[3:]:
            for data in sorted(pathlib.Path(folder).glob("*.data")):
                if subprocess.run([cli, "asm", str(data), "-o", str(binary)], capture_output=True).returncode:
                    continue  # (the suite's few programs the assembler does not take)
                mem = memory(data.read_text())
                (out / data.stem).write_bytes(bytes([len(mem)]) + mem + binary.read_bytes())
                made += 1
    print(f"make_seeds: {made} seeds in {out}")
    if made == 0:
        sys.exit("make_seeds: no program assembled")


if __name__ == "__main__":
    main()
