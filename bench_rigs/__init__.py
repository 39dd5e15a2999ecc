"""The hardware-in-the-loop bench: instrument drivers behind one interface each
(`bench_rigs.instruments`), rig files (`bench_rigs.rig`), meter accuracy tables
(`bench_rigs.accuracy`), and simulated instruments on the real serial and VISA stacks
(`bench_rigs.simulators`, `bench_rigs/sim/*.yaml`). Instruments' I/O lives here and nowhere else.
"""
