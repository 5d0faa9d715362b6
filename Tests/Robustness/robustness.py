#!/usr/bin/env python3
"""Robustness report for eqr: bad media, kills, long runs and fuzzing, measured.

    python3 Tests/Robustness/robustness.py [--media] [--kills N] [--long-frames N] [--fuzz-seconds S] [--fuzz-runs N] [--json]

With no part named, runs --media. Needs the release build (`swift build -c release`), the
stock ffmpeg/ffprobe and Python 3 (no third-party modules).

--media        a bad-media corpus generated here (nothing is committed): truncations and byte
               flips of mp4/mkv/webm/mov/avi/png/jpeg, empty, audio-only and 0-frame files,
               odd and huge sizes, variable frame rate, rotation metadata, 10-bit, 4:4:4 and
               alpha inputs, background videos shorter, longer or of another rate, bad output
               paths. Each case runs `eqr -i CHARACTER -i BACKGROUND -m MODEL … OUT` under a
               time bound and is classed:
                 ok       exit 0 and OUT decodes with ≥ 1 frame
                 refused  non-zero exit with a specific message (an `Error:` line naming the
                          problem, no raw Foundation or parser text)
                 crashed  killed by a signal, or a Swift runtime trap
                 hung     still running at the time bound (then killed)
                 unclear  refused without a specific message, or exit 0 without a readable OUT
               and, independently, `partial` when a failed case left OUT, or any case left a
               hidden temporary (`.OUT.*.part`) behind.
--kills N      N SIGKILLs at random moments of `eqr train`, `eqr fit` and a render (a third
               each): after each, every checkpoint on disk must load (`eqr info`), `--resume`
               must end bit for bit where an uninterrupted run ends, no output may stand under
               the final name half-written, and the next run must clean the killed run's
               temporaries. Plus SIGINT/SIGTERM during a render: exit 130 and no temporary.
--long-frames N  the host on an N-frame input (and the frei0r plugin in ffmpeg with
               -threads 8, when the plugin is built): resident memory sampled every 0.2 s;
               start = the sample at a quarter of the run (after the model has loaded and
               the clip plate has been learned), end = the last.
--fuzz-seconds S  Tests/Fuzz/run.sh for S seconds: executions and findings.
--fuzz-runs N  Tests/Fuzz/run.sh --runs N for each surface in turn (the optimised fuzzing build):
               executions, new coverage units, seconds and findings per target; the bar is N
               executions and no finding for each.

Exit status: 0 when every bar holds (0 crashed, hung, unclear, partial, corrupt; RSS growth
≤ 5 %), 1 otherwise. The JSON (--json) is printed last.
"""
import argparse, hashlib, json, os, random, re, shutil, signal, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EQR = os.path.join(ROOT, ".build", "release", "eqr")
MODEL = os.path.join(ROOT, "examples", "models", "features-64.safetensors")
PLUGIN_DIR = os.path.join(ROOT, ".build", "release")
TIME_BOUND = 60

# Messages that are not an explanation: raw Foundation errors, argument-parser defaults
# for a value it failed to read, Swift optionals, runtime traps.
# "The value '-x' is invalid for": an option read the next option as its value.
UNCLEAR = re.compile(r"Error Domain=|NSCocoaErrorDomain|Missing value for|Optional\(|\(null\)|Fatal error|Stack dump|The value '-[A-Za-z]")


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, stdin=subprocess.DEVNULL)


def frames_in(path):
    """Decoded video frames of path per ffprobe, or -1 when it does not decode."""
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames", "-of", "csv=p=0", path], capture_output=True, text=True)
    try:
        return int(r.stdout.strip().split(",")[0])
    except ValueError:
        return -1


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---------------------------------------------------------------------------------------
# Bad media
# ---------------------------------------------------------------------------------------

def make_sources(d):
    """Small valid media that the corpus mutates, keyed by name."""
    src = {}
    video = ["-f", "lavfi", "-i", "testsrc2=size=96x72:rate=12:duration=1"]
    for name, codec in [("mp4", ["-c:v", "libx264", "-pix_fmt", "yuv420p"]), ("mkv", ["-c:v", "ffv1"]),
                        ("webm", ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "200k"]),
                        ("mov", ["-c:v", "mjpeg", "-q:v", "5"]), ("avi", ["-c:v", "mpeg4"])]:
        src[name] = f"{d}/src.{name}"
        ffmpeg(*video, *codec, src[name])
    src["png"] = f"{d}/src.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x72", "-frames:v", "1", src["png"])
    src["jpg"] = f"{d}/src.jpg"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x72", "-frames:v", "1", src["jpg"])
    return src


def truncated(src, d, fraction):
    data = open(src, "rb").read()
    path = f"{d}/trunc-{int(fraction * 1000):04d}-{os.path.basename(src)}"
    open(path, "wb").write(data[:max(1, int(len(data) * fraction))])
    return path


def flipped(src, d, seed):
    data = bytearray(open(src, "rb").read())
    rng = random.Random(seed)
    for _ in range(16):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    path = f"{d}/flip-{seed}-{os.path.basename(src)}"
    open(path, "wb").write(bytes(data))
    return path


def generated(d, name, *args):
    path = f"{d}/{name}"
    ffmpeg(*args, path)
    return path


def media_cases(d):
    """(name, character, background, extra eqr arguments, output name) per case."""
    src = make_sources(d)
    cases = []
    good_char, good_bg = src["mp4"], src["png"]
    fractions = [0.001, 0.01, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.85, 0.95, 0.99]
    for kind in ["mp4", "mkv", "webm", "mov", "avi"]:
        for f in fractions:
            cases.append((f"truncated {kind} at {f:.1%}", truncated(src[kind], d, f), good_bg, [], "out.mkv"))
        for seed in range(10):
            cases.append((f"bit flips in {kind} #{seed}", flipped(src[kind], d, 100 * seed + len(kind)), good_bg, [], "out.mkv"))
    for kind in ["png", "jpg"]:
        for f in [0.01, 0.1, 0.3, 0.5, 0.8, 0.97]:
            cases.append((f"truncated {kind} background at {f:.0%}", good_char, truncated(src[kind], d, f), [], "out.mkv"))
        for seed in range(10):
            cases.append((f"bit flips in {kind} background #{seed}", good_char, flipped(src[kind], d, 7 * seed + 1), [], "out.mkv"))
    # Files that are not media at all.
    empty = f"{d}/empty.mp4"; open(empty, "wb").close()
    junk = f"{d}/junk.mp4"; open(junk, "wb").write(bytes(random.Random(5).randrange(256) for _ in range(4096)))
    text = f"{d}/text.png"; open(text, "w").write("not an image\n")
    os.makedirs(f"{d}/a-directory.mp4", exist_ok=True)
    for name, path in [("empty", empty), ("random bytes", junk), ("text", text), ("a directory", f"{d}/a-directory.mp4"),
                       ("missing", f"{d}/missing.mp4")]:
        cases.append((f"{name} file as character", path, good_bg, [], "out.mkv"))
        cases.append((f"{name} file as background", good_char, path, [], "out.mkv"))
    # Streams that are not what a frame pipeline needs.
    audio = generated(d, "audio.m4a", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac")
    wav = generated(d, "audio.wav", "-f", "lavfi", "-i", "sine=duration=1")
    zero = generated(d, "zero.mkv", "-f", "lavfi", "-i", "testsrc2=size=96x72:rate=12:duration=1", "-frames:v", "0", "-c:v", "ffv1")
    for name, path in [("audio-only m4a", audio), ("audio-only wav", wav), ("0-frame mkv", zero)]:
        cases.append((f"{name} as character", path, good_bg, [], "out.mkv"))
        cases.append((f"{name} as background", good_char, path, [], "out.mkv"))
    # Odd and huge sizes.
    for w, h in [(1, 1), (2, 2), (3, 1), (1, 3), (17, 13), (1, 300), (999, 2), (4, 4000), (8000, 4)]:
        v = generated(d, f"size-{w}x{h}.mkv", "-f", "lavfi", "-i", "testsrc2=size=96x72:rate=12:duration=0.5", "-vf", f"scale={w}:{h}",
                      "-c:v", "ffv1", "-pix_fmt", "bgr0")
        cases.append((f"{w}x{h} character", v, good_bg, [], "out.mkv"))
        p = generated(d, f"size-{w}x{h}.png", "-f", "lavfi", "-i", "testsrc=size=96x72", "-vf", f"scale={w}:{h}", "-frames:v", "1")
        cases.append((f"{w}x{h} background", good_char, p, [], "out.mkv"))
    big = generated(d, "huge-12000x12000.png", "-f", "lavfi", "-i", "color=c=blue:size=12000x12000", "-frames:v", "1")
    cases.append(("12000x12000 background", good_char, big, [], "out.mkv"))
    # Above the frames' size limit as the input: refused before the pipeline's buffers (a
    # 16000x12000 still took 23 GB and was killed before the limit).
    cases.append(("12000x12000 character", big, good_bg, [], "out.mkv"))
    wide = generated(d, "wide-16000x2.mkv", "-f", "lavfi", "-i", "testsrc2=size=96x72:rate=5:duration=0.4", "-vf", "scale=16000:2",
                     "-c:v", "ffv1", "-pix_fmt", "bgr0")
    cases.append(("16000x2 character", wide, good_bg, [], "out.mkv"))
    # Timing, orientation and pixel formats.
    vfr = generated(d, "vfr.mkv", "-f", "lavfi", "-i", "testsrc2=size=96x72:rate=12:duration=2",
                    "-vf", "select='not(mod(n\\,3))+eq(mod(n\\,5)\\,1)',setpts=N*N/12/TB", "-fps_mode", "vfr", "-c:v", "ffv1")
    cases.append(("variable frame rate", vfr, good_bg, [], "out.mkv"))
    for rate in ["1", "1000", "30000/1001"]:
        v = generated(d, f"rate-{rate.replace('/', '_')}.mkv", "-f", "lavfi", "-i", f"testsrc2=size=96x72:rate={rate}:duration=2",
                      "-frames:v", "6", "-c:v", "ffv1")
        cases.append((f"{rate} frames/s", v, good_bg, [], "out.mkv"))
    for angle in [90, 180, 270]:
        v = generated(d, f"rotate-{angle}.mp4", "-i", good_char, "-c", "copy", "-metadata:s:v", f"rotate={angle}")
        cases.append((f"rotation metadata {angle}°", v, good_bg, [], "out.mkv"))
    for name, codec in [("10-bit ffv1", ["-c:v", "ffv1", "-pix_fmt", "yuv420p10le"]), ("10-bit ProRes", ["-c:v", "prores_ks", "-pix_fmt", "yuv422p10le"]),
                        ("4:4:4 H.264", ["-c:v", "libx264", "-pix_fmt", "yuv444p"]), ("4:4:4 ffv1 16-bit", ["-c:v", "ffv1", "-pix_fmt", "yuv444p16le"]),
                        ("grey", ["-c:v", "ffv1", "-pix_fmt", "gray"]), ("RGBA qtrle", ["-c:v", "qtrle", "-pix_fmt", "argb"]),
                        ("alpha VP9", ["-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-deadline", "realtime"]),
                        ("NV12 rawvideo", ["-c:v", "rawvideo", "-pix_fmt", "nv12"]), ("interlaced H.264", ["-c:v", "libx264", "-flags", "+ildct+ilme"])]:
        ext = "mov" if "qtrle" in codec or "prores_ks" in codec else ("webm" if "libvpx-vp9" in codec else "mkv")
        v = generated(d, f"fmt-{len(cases)}.{ext}", "-f", "lavfi", "-i", "testsrc2=size=96x72:rate=12:duration=0.5", *codec)
        cases.append((f"{name} character", v, good_bg, [], "out.mkv"))
    for name, fmt in [("RGBA", "rgba"), ("16-bit", "rgb48be"), ("grey", "gray"), ("palette", "pal8"), ("grey+alpha", "ya8")]:
        p = generated(d, f"bg-{fmt}.png", "-f", "lavfi", "-i", "testsrc=size=96x72", "-frames:v", "1", "-pix_fmt", fmt)
        cases.append((f"{name} PNG background", good_char, p, [], "out.mkv"))
    grey_jpeg = generated(d, "grey.jpg", "-f", "lavfi", "-i", "testsrc=size=96x72", "-frames:v", "1", "-pix_fmt", "gray")
    cases.append(("grey JPEG background", good_char, grey_jpeg, [], "out.mkv"))
    gif = generated(d, "anim.gif", "-f", "lavfi", "-i", "testsrc2=size=96x72:rate=10:duration=0.5")
    cases.append(("animated GIF character", gif, good_bg, [], "out.mkv"))
    cases.append(("animated GIF background", good_char, gif, [], "out.mkv"))
    # Background videos of other lengths and rates.
    for name, spec in [("shorter", "rate=12:duration=0.25"), ("longer", "rate=12:duration=3"), ("another rate", "rate=50:duration=1"),
                       ("another size", "rate=12:duration=1,scale=160:90")]:
        source = "testsrc=size=96x72:" + spec.split(",")[0]
        extra = ["-vf", spec.split(",")[1]] if "," in spec else []
        v = generated(d, f"bgvideo-{name.replace(' ', '-')}.mkv", "-f", "lavfi", "-i", source, *extra, "-c:v", "ffv1")
        cases.append((f"background video {name}", good_char, v, [], "out.mkv"))
    # Outputs that cannot be written, or must not be.
    cases.append(("output into a missing folder", good_char, good_bg, [], "no/such/folder/out.mkv"))
    cases.append(("output with an unknown extension", good_char, good_bg, [], "out.unknownext"))
    cases.append(("output name of 255 bytes", good_char, good_bg, [], "o" * 251 + ".mkv"))
    cases.append(("output that is the input", None, good_bg, [], "SELF"))
    cases.append(("single image output", good_char, good_bg, ["-frames:v", "1"], "out.png"))
    # Hostile option values.
    for args in [["-t", "-1"], ["-t", "1e308"], ["-frames:v", "0"], ["-effect", "transform=angle=nan"], ["-effect", "transform=scale=1e40"],
                 ["-effect", "swap=" + "x" * 5000], ["-effect", "transfer=template=/dev/null"], ["-s", "0x0"], ["-s", "99999x99999"],
                 ["-matte-margin", "-3"], ["-c:v", "no-such-codec"], ["-threads", "-2"], ["-threads", "0"], ["-threads", "1"],
                 ["-ss", "1e308"], ["-ss", "-5"], ["-ss", "99:99:99"], ["-r", "1e308"], ["-r", "0"], ["-frames:v", "99999999999999999999"],
                 ["-bg-loop", "7"], ["-vf:0", "nosuchfilter"], ["-vf:1", "scale=-7:-9"], ["-pix_fmt", "nonsense"]]:
        cases.append((f"option {' '.join(a[:40] for a in args)}", good_char, good_bg, args, "out.mkv"))
    return cases


def run_case(case, d, index):
    name, char, bg, extra, out_name = case
    work = f"{d}/case-{index}"
    os.makedirs(work, exist_ok=True)
    if out_name == "SELF":
        char = shutil.copy(f"{d}/src.mp4", f"{work}/self.mp4")
        out = char
        before = sha256(char)
    else:
        out = f"{work}/{out_name}"
        before = None
    command = [EQR, "-i", char, "-i", bg, "-m", MODEL, "-effect", "swap", *extra, "-nostats", "-y", out]
    row = {"case": name}
    start = time.monotonic()
    p = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        _, err = p.communicate(timeout=TIME_BOUND)
        status = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate()
        status = None
    row["seconds"] = round(time.monotonic() - start, 2)
    err = err.decode("utf-8", "replace")
    lines = [l for l in err.splitlines() if l.strip()]
    message = next((l for l in lines if l.startswith("Error:") or l.startswith("eqr: error")), lines[-1] if lines else "")
    row["message"] = message[:300]
    if status is None:
        row["class"] = "hung"
    elif status < 0 or status >= 128 or "Fatal error" in err:
        row["class"] = "crashed"
    elif status == 0:
        row["class"] = "ok" if frames_in(out) >= 1 else "unclear"
    else:
        specific = (message.startswith("Error:") or message.startswith("eqr: error")) and len(message) > 16
        row["class"] = "refused" if specific and not UNCLEAR.search(err) else "unclear"
    left = [n for n in os.listdir(os.path.dirname(out) if os.path.isdir(os.path.dirname(out)) else work) if n.endswith(".part")]
    if out_name == "SELF":
        row["partial"] = sha256(out) != before or bool(left)
    else:
        row["partial"] = bool(left) or (status != 0 and os.path.exists(out))
    shutil.rmtree(work, ignore_errors=True)
    return row


def bad_media(d, jobs):
    cases = media_cases(d)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(jobs) as pool:
        rows = list(pool.map(lambda ic: run_case(ic[1], d, ic[0]), enumerate(cases)))
    summary = {k: sum(r["class"] == k for r in rows) for k in ["ok", "refused", "crashed", "hung", "unclear"]}
    summary.update(cases=len(rows), partial=sum(r["partial"] for r in rows),
                   slowest_seconds=max(r["seconds"] for r in rows),
                   problems=[r for r in rows if r["class"] in ("crashed", "hung", "unclear") or r["partial"]])
    return summary, rows


# ---------------------------------------------------------------------------------------
# Kills
# ---------------------------------------------------------------------------------------

def run(args, **kw):
    return subprocess.run([EQR, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)


def killed_after(args, delay, sig=signal.SIGKILL):
    """Starts eqr with args, sends sig after delay seconds (if still running); its exit status."""
    p = subprocess.Popen([EQR, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        return p.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        p.send_signal(sig)
        return p.wait()


def temporaries(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith((".part", ".tmp")))


def log_steps_unique(path):
    if not os.path.exists(path):
        return True
    steps = [json.loads(l)["report"]["step"] for l in open(path) if l.strip()]
    return len(steps) == len(set(steps))


def checkpoint_digest(path):
    """SHA-256 of a checkpoint's tensors and metadata, leaving out the wall-clock time it
    records (`training_seconds`), which no two runs share."""
    data = open(path, "rb").read()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    header.get("__metadata__", {}).pop("training_seconds", None)
    return hashlib.sha256(json.dumps(header, sort_keys=True).encode() + data[8 + size:]).hexdigest()


def kill_campaign(d, count, rng):
    clip = f"{d}/fit-clip.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=64x48:rate=12:duration=2", "-c:v", "ffv1", clip)
    long_clip = f"{d}/render-clip.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=12", "-c:v", "ffv1", long_clip)
    bg = f"{d}/bg.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240", "-frames:v", "1", bg)
    train = ["train", "--variant", "given", "--resolution", "16", "--steps", "60", "--batch", "2", "--checkpoint-every", "2",
             "--log-every", "1", "--seed", "3", "--threads", "1"]
    fit = ["fit", clip, "--resolution", "16", "--steps", "16", "--checkpoint-every", "2", "--seed", "3", "--threads", "1"]

    def reference(kind):
        folder = f"{d}/ref-{kind}"
        os.makedirs(folder)
        out = f"{folder}/m.safetensors"
        start = time.monotonic()
        r = run((train + ["-o", out, "--log", f"{folder}/m.jsonl"]) if kind == "train" else (fit + ["-o", out]))
        if r.returncode != 0:
            raise SystemExit(f"reference {kind} run failed: {r.stderr[-400:]}")
        return checkpoint_digest(out), time.monotonic() - start

    refs = {kind: reference(kind) for kind in ["train", "fit"]}
    start = time.monotonic()
    r = run(["-i", long_clip, "-i", bg, "-m", MODEL, "-nostats", "-y", f"{d}/ref-render.mkv"])
    if r.returncode != 0:
        raise SystemExit(f"reference render failed: {r.stderr[-400:]}")
    render_seconds, render_frames = time.monotonic() - start, frames_in(f"{d}/ref-render.mkv")
    rows = []
    kinds = ["train", "fit", "render"]
    for k in range(count):
        kind = kinds[k % 3]
        folder = f"{d}/kill-{k}"
        os.makedirs(folder)
        row = {"kind": kind}
        if kind == "render":
            out = f"{folder}/out.mkv"
            args = ["-i", long_clip, "-i", bg, "-m", MODEL, "-nostats", "-y", out]
            delay = rng.uniform(0.05, render_seconds * 0.95)
            row["delay"] = round(delay, 2)
            status = killed_after(args, delay)
            row["partial"] = os.path.exists(out) and (status != 0 or frames_in(out) != render_frames)
            row["left_temporaries"] = len(temporaries(folder))
            again = run(args)
            row["clean_after_next_run"] = again.returncode == 0 and not temporaries(folder) and frames_in(out) == render_frames
            row["corrupt"] = False
        else:
            out = f"{folder}/m.safetensors"
            args = (train + ["-o", out, "--log", f"{folder}/m.jsonl"]) if kind == "train" else (fit + ["-o", out])
            delay = rng.uniform(0.05, refs[kind][1] * 0.95)
            row["delay"] = round(delay, 2)
            killed_after(args, delay)
            row["left_temporaries"] = len(temporaries(folder))
            # Every checkpoint on disk loads.
            row["corrupt"] = os.path.exists(out) and run(["info", out]).returncode != 0
            if os.path.exists(out):
                resume = (args + ["--resume", out]) if kind == "train" else (args + ["--resume"])
                again = run(resume)
            else:
                again = run(args)
            row["resumed_identical"] = again.returncode == 0 and checkpoint_digest(out) == refs[kind][0]
            row["clean_after_next_run"] = not temporaries(folder)
            row["log_unique"] = log_steps_unique(f"{folder}/m.jsonl")
            row["partial"] = False
        rows.append(row)
    # Ctrl-C and SIGTERM during a render: exit 130, nothing left.
    for sig in [signal.SIGINT, signal.SIGTERM]:
        folder = f"{d}/signal-{int(sig)}"
        os.makedirs(folder)
        out = f"{folder}/out.mkv"
        status = killed_after(["-i", long_clip, "-i", bg, "-m", MODEL, "-nostats", "-y", out], render_seconds * 0.4, sig)
        rows.append({"kind": f"render {signal.Signals(sig).name}", "status": status, "partial": os.path.exists(out) and status != 0,
                     "left_temporaries": len(temporaries(folder)), "corrupt": False, "clean_after_next_run": not temporaries(folder)})
    # Ctrl-C during training: a final checkpoint that loads.
    folder = f"{d}/signal-train"
    os.makedirs(folder)
    out = f"{folder}/m.safetensors"
    status = killed_after(train + ["--steps", "100000", "-o", out], refs["train"][1] * 0.6, signal.SIGINT)
    rows.append({"kind": "train SIGINT", "status": status, "corrupt": not os.path.exists(out) or run(["info", out]).returncode != 0,
                 "partial": False, "left_temporaries": len(temporaries(folder)), "clean_after_next_run": not temporaries(folder)})
    summary = {
        "kills": count,
        "corrupt_checkpoints": sum(r["corrupt"] for r in rows),
        "partial_outputs": sum(r["partial"] for r in rows),
        "resume_not_identical": sum(r.get("resumed_identical") is False for r in rows),
        "repeated_log_steps": sum(r.get("log_unique") is False for r in rows),
        "temporaries_not_cleaned": sum(not r["clean_after_next_run"] for r in rows),
        "signals_not_clean": sum(r["kind"].startswith("render SIG") and (r["status"] != 130 or r["left_temporaries"] > 0) for r in rows)
        + sum(r["kind"] == "train SIGINT" and r["status"] != 130 for r in rows),
    }
    return summary, rows


# ---------------------------------------------------------------------------------------
# Long runs
# ---------------------------------------------------------------------------------------

def rss_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def sampled(command, env=None):
    """Runs command, sampling the resident memory of it and its children; (status, samples)."""
    p = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    samples = []
    while p.poll() is None:
        kib = rss_kib(p.pid)
        try:
            children = open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()
        except OSError:
            children = []
        for c in children:
            kib = max(kib or 0, rss_kib(int(c)) or 0)
        if kib:
            samples.append(kib)
        time.sleep(0.2)
    err = p.stderr.read().decode("utf-8", "replace")
    return p.returncode, samples, err


def growth(samples):
    if len(samples) < 10:
        return None
    start = samples[len(samples) // 4]
    return {"start_mib": round(start / 1024, 1), "end_mib": round(samples[-1] / 1024, 1),
            "peak_mib": round(max(samples) / 1024, 1), "growth_percent": round(100 * (samples[-1] - start) / start, 2)}


def long_runs(d, frames):
    clip = f"{d}/long.mkv"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25", "-frames:v", str(frames), "-c:v", "ffv1", clip)
    bg = f"{d}/bg.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240", "-frames:v", "1", bg)
    out = {}
    status, samples, err = sampled([EQR, "-i", clip, "-i", bg, "-m", MODEL, "-nostats", "-y", f"{d}/long-out.mkv"])
    out["host"] = {"frames": frames, "status": status, **(growth(samples) or {})}
    library = os.path.join(PLUGIN_DIR, "libequivariant-frei0r.so")
    if os.path.exists(library):
        # ffmpeg looks for <filter name>.so on FREI0R_PATH.
        plugin = f"{d}/plugins"
        os.makedirs(plugin)
        os.symlink(library, f"{plugin}/equivariant.so")
        env = dict(os.environ, FREI0R_PATH=plugin)
        status, samples, err = sampled(["ffmpeg", "-v", "error", "-y", "-threads", "8", "-i", clip, "-vf",
                                        f"frei0r=equivariant:{MODEL}|{bg}|swap", "-c:v", "ffv1", f"{d}/long-plugin.mkv"], env)
        out["plugin"] = {"frames": frames, "status": status, **(growth(samples) or {}), **({"error": err[-300:]} if status else {})}
    return out


# ---------------------------------------------------------------------------------------
# Fuzzing
# ---------------------------------------------------------------------------------------

def run_fuzzer(arguments):
    """Tests/Fuzz/run.sh with `arguments`: executions, new coverage units, seconds and findings.
    stderr goes to a file (a long frei0r run logs hundreds of MB of plugin messages); libFuzzer's
    final statistics are at its end."""
    start = time.monotonic()
    with tempfile.TemporaryFile(mode="w+b") as log:
        r = subprocess.run(["bash", os.path.join(ROOT, "Tests", "Fuzz", "run.sh")] + arguments, stdout=subprocess.DEVNULL, stderr=log)
        log.seek(max(0, log.seek(0, os.SEEK_END) - 65536))
        tail = log.read().decode("utf-8", "replace")
    executed = re.findall(r"stat::number_of_executed_units:\s*(\d+)", tail)
    units = re.findall(r"stat::new_units_added:\s*(\d+)", tail)
    return {"executions": int(executed[-1]) if executed else None, "new_units": int(units[-1]) if units else None,
            "seconds": round(time.monotonic() - start), "findings": 0 if r.returncode == 0 else 1,
            **({"tail": tail[-600:]} if r.returncode else {})}


def fuzz(seconds):
    return run_fuzzer([str(seconds)])


FUZZ_SURFACES = ["checkpoint", "effect", "motionTemplate", "keyframes", "frei0r", "abi"]


def fuzz_runs(runs):
    report = {}
    for surface in FUZZ_SURFACES:
        report[surface] = run_fuzzer(["--runs", str(runs), surface])
        print(f"fuzz {surface}: {report[surface]}", file=sys.stderr)
    return report


def main():
    global EQR, MODEL, PLUGIN_DIR
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--media", action="store_true")
    ap.add_argument("--kills", type=int, default=0)
    ap.add_argument("--long-frames", type=int, default=0)
    ap.add_argument("--fuzz-seconds", type=int, default=0)
    ap.add_argument("--fuzz-runs", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eqr", default=EQR, help="the eqr program (default: the release build)")
    ap.add_argument("--model", default=MODEL, help="the model the renders use (default: the committed features-64)")
    ap.add_argument("--json", action="store_true", help="print the report as one JSON object (last line)")
    ap.add_argument("--verbose", action="store_true", help="every case's row, not only the problems")
    args = ap.parse_args()
    EQR, MODEL = os.path.abspath(args.eqr), os.path.abspath(args.model)
    PLUGIN_DIR = os.path.dirname(EQR)
    if not (args.media or args.kills or args.long_frames or args.fuzz_seconds or args.fuzz_runs):
        args.media = True
    if not os.access(EQR, os.X_OK):
        sys.exit(f"robustness.py: {EQR} is missing; run `swift build -c release` first")
    report, ok = {}, True
    with tempfile.TemporaryDirectory(prefix="eqr-robustness-") as d:
        if args.media:
            summary, rows = bad_media(f"{d}", args.jobs)
            report["media"] = summary
            if args.verbose:
                report["media_rows"] = rows
            ok &= summary["cases"] >= 200 and not (summary["crashed"] or summary["hung"] or summary["unclear"] or summary["partial"])
            print(f"bad media: {summary['cases']} cases, {summary['ok']} ok, {summary['refused']} refused clearly, "
                  f"{summary['crashed']} crashed, {summary['hung']} hung, {summary['unclear']} unclear, {summary['partial']} partial",
                  file=sys.stderr)
        if args.kills:
            os.makedirs(f"{d}/kills")
            summary, rows = kill_campaign(f"{d}/kills", args.kills, random.Random(args.seed))
            report["kills"] = summary
            if args.verbose:
                report["kill_rows"] = rows
            ok &= not any(v for k, v in summary.items() if k != "kills")
            print("kills: " + ", ".join(f"{k} {v}" for k, v in summary.items()), file=sys.stderr)
        if args.long_frames:
            os.makedirs(f"{d}/long")
            report["long_run"] = long_runs(f"{d}/long", args.long_frames)
            for name, r in report["long_run"].items():
                ok &= r.get("status") == 0 and r.get("growth_percent", 100) <= 5
            print(f"long run: {report['long_run']}", file=sys.stderr)
        if args.fuzz_seconds:
            report["fuzz"] = fuzz(args.fuzz_seconds)
            ok &= report["fuzz"]["findings"] == 0
            print(f"fuzz: {report['fuzz']}", file=sys.stderr)
        if args.fuzz_runs:
            report["fuzz_runs"] = fuzz_runs(args.fuzz_runs)
            ok &= all(r["findings"] == 0 and (r["executions"] or 0) >= args.fuzz_runs for r in report["fuzz_runs"].values())
    report["bars_met"] = bool(ok)
    if args.json:
        print(json.dumps(report))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
