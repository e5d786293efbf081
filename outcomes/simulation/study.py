"""The simulation study: design grid, seeds, chunks on disk and the three backends.

Every (design point, replicate) pair gets its own random stream,
``numpy.random.SeedSequence(seed, spawn_key=(point, rep))``, the stream that
``SeedSequence(seed).spawn`` would hand out at that position of a two-level tree. So a
replicate draws the same numbers wherever and whenever it runs: the results do not
depend on the backend, the number of workers, the chunk size or on a run having been
interrupted and resumed.
"""

from __future__ import annotations

import itertools
import json
import os
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError

Generate = Callable[[dict[str, Any], np.random.Generator], tuple[Any, Any]]
Method = Callable[[Any, dict[str, Any]], Any]
Backend = Literal["serial", "processes", "dask"]

#: Columns of a result row after the design columns, in order.
RESULT_COLUMNS = (
    "point",
    "rep",
    "method",
    "estimand",
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "p_value",
    "truth",
    "error",
)
_NUMBERS = ("estimate", "std_error", "ci_lower", "ci_upper", "p_value")
_DTYPES: dict[str, type] = {
    "point": np.int64,
    "rep": np.int64,
    **dict.fromkeys((*_NUMBERS, "truth"), np.float64),
}
#: The estimand of a method row that does not name one.
DEFAULT_ESTIMAND = "theta"
_MANIFEST = "study.json"


class SimulationError(OutcomesError):
    """A simulation study that cannot run as asked (design, methods, output folder)."""


@dataclass(frozen=True)
class _Task:
    point: int
    rep: int
    params: dict[str, Any]


class SimulationStudy:
    r"""A simulation study: ``methods`` applied to data drawn by ``generate``.

    Parameters
    ----------
    generate : callable
        ``generate(params, rng) -> (data, truth)``: one data set drawn with the
        ``numpy.random.Generator`` ``rng`` under the design point ``params`` (a dict
        of the design columns), and the true value of the estimand(s): a number when
        every method targets one estimand, or a dict ``{estimand: value}``. ``rng``
        must be the only source of randomness.
    methods : mapping of str to callable
        ``method(data, params)`` returns estimate rows: a dict, a list of dicts or a
        DataFrame with ``estimate`` and any of ``std_error``, ``ci_lower``,
        ``ci_upper``, ``p_value`` and ``estimand`` (default ``"theta"``); missing
        numbers are NaN; other keys are ignored unless named in ``keep``. A method
        that raises gives one row with the message in ``error``; the study carries
        on.
    n_reps : int
        Replicates per design point.
    seed : int
        Root of every random stream (see the module notes).
    design : dict of lists or DataFrame, optional
        Data-generating parameters: a dict of lists is crossed (``itertools.product``
        in the order given), a DataFrame is taken row by row. None means one point
        with no parameters.
    keep : sequence of str, optional
        Other numbers of the methods' rows to keep beside the estimate (diagnostics
        such as rows used or iterations, a second interval): each becomes a float
        column after :data:`RESULT_COLUMNS`, NaN in rows without it.

    Notes
    -----
    For the processes and Dask backends ``generate`` and the methods must be
    picklable: functions defined at the top level of a module (or
    ``functools.partial`` of them), not lambdas or closures.
    """

    def __init__(
        self,
        generate: Generate,
        methods: Mapping[str, Method],
        n_reps: int,
        seed: int,
        design: Mapping[str, Sequence[Any]] | pd.DataFrame | None = None,
        keep: Sequence[str] = (),
    ) -> None:
        if not callable(generate):
            raise SimulationError("generate must be callable: generate(params, rng)")
        if not methods:
            raise SimulationError("methods is empty: give at least one name -> callable")
        for name, method in methods.items():
            if not isinstance(name, str) or not callable(method):
                raise SimulationError(f"method {name!r}: names must be str, values callable")
        if isinstance(n_reps, bool) or not isinstance(n_reps, int | np.integer) or n_reps < 1:
            raise SimulationError(f"n_reps must be a positive integer, got {n_reps!r}")
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise SimulationError(f"seed must be a non-negative integer, got {seed!r}")
        self.generate = generate
        self.methods = dict(methods)
        self.n_reps = int(n_reps)
        self.seed = int(seed)
        self.design = _design_frame(design)
        if isinstance(keep, str) or not all(isinstance(k, str) for k in keep):
            raise SimulationError("keep must be a list of column names")
        reserved = sorted(set(keep) & {*RESULT_COLUMNS, *self.design.columns})
        if reserved:
            raise SimulationError(f"keep names columns the study writes itself: {reserved}")
        self.keep = tuple(dict.fromkeys(keep))

    # -- tasks and seeds --------------------------------------------------------------

    @property
    def n_tasks(self) -> int:
        """Number of (design point, replicate) pairs."""
        return len(self.design) * self.n_reps

    def seed_sequence(self, point: int, rep: int) -> np.random.SeedSequence:
        """The random stream of one replicate at one design point."""
        return np.random.SeedSequence(self.seed, spawn_key=(point, rep))

    def _tasks(self) -> list[_Task]:
        # a design without columns (design=None) is one point with no parameters, which
        # pandas' to_dict("records") turns into no records at all
        params = self.design.to_dict("records") or [{} for _ in range(len(self.design))]
        return [
            _Task(point, rep, {str(k): v for k, v in params[point].items()})
            for point in range(len(self.design))
            for rep in range(self.n_reps)
        ]

    # -- running ----------------------------------------------------------------------

    def run(
        self,
        backend: Backend = "serial",
        *,
        scheduler: str | None = None,
        n_workers: int | None = None,
        chunk_size: int = 50,
        out: str | os.PathLike[str] | None = None,
        resume: bool = True,
        progress: bool = True,
    ) -> pd.DataFrame:
        """Run every replicate of every design point and return the tidy results.

        Parameters
        ----------
        backend : {"serial", "processes", "dask"}
            Where chunks run: this process; a ``ProcessPoolExecutor`` of ``n_workers``
            processes; or ``dask.distributed``, on a new :func:`local_cluster` of
            ``n_workers`` single-threaded worker processes, or on the running
            scheduler at ``scheduler`` (e.g. ``"tcp://10.0.0.5:8786"``), so the same
            study runs on a laptop or a cluster without code changes.
        scheduler : str, optional
            Address of a running Dask scheduler (``backend="dask"`` only).
        n_workers : int, optional
            Worker processes (default: the number of CPUs, at most the number of
            chunks; ignored with ``scheduler``).
        chunk_size : int
            Replicates per chunk, the unit of work and of the files in ``out``.
            It does not change the results.
        out : path, optional
            Folder for the results: ``study.json`` (the study's fingerprint) and one
            Parquet file per chunk, each written to a temporary name and renamed, so
            a file present is complete. None keeps everything in memory.
        resume : bool
            Skip the chunks already in ``out`` (the fingerprint must match). False
            starts afresh, deleting the chunks there.
        progress : bool
            Show a progress bar (tqdm) of chunks done.

        Returns
        -------
        pandas.DataFrame
            The design columns, then :data:`RESULT_COLUMNS`, then ``keep``; sorted by
            design point, replicate and method (in the order given), one row per
            estimate row.
        """
        if backend not in ("serial", "processes", "dask"):
            raise SimulationError(
                f"backend must be 'serial', 'processes' or 'dask', got {backend!r}"
            )
        if scheduler is not None and backend != "dask":
            raise SimulationError("scheduler= is for backend='dask'")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise SimulationError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        if n_workers is not None and n_workers < 1:
            raise SimulationError(f"n_workers must be at least 1, got {n_workers!r}")
        tasks = self._tasks()
        chunks = [tasks[i : i + chunk_size] for i in range(0, len(tasks), chunk_size)]
        folder = None if out is None else Path(out)
        done: dict[int, pd.DataFrame] = {}
        if folder is not None:
            self._prepare(folder, chunk_size, resume)
            if resume:
                for index in range(len(chunks)):
                    path = _chunk_path(folder, index)
                    if path.exists():
                        done[index] = pd.read_parquet(path)
        pending = [i for i in range(len(chunks)) if i not in done]
        job = _Job(self.generate, self.methods, self.seed, self.keep)

        from tqdm.auto import tqdm

        bar = tqdm(
            total=len(chunks),
            initial=len(done),
            disable=not progress,
            desc=f"simulation ({backend})",
            unit="chunk",
        )
        try:
            for index, frame in _execute(
                backend, job, chunks, pending, scheduler=scheduler, n_workers=n_workers
            ):
                if folder is not None:
                    _write_atomic(frame, _chunk_path(folder, index))
                done[index] = frame
                bar.update(1)
        finally:
            bar.close()
        results = pd.concat([done[i] for i in range(len(chunks))], ignore_index=True)
        return self._with_design(results)

    def read(self, out: str | os.PathLike[str]) -> pd.DataFrame:
        """The results of a finished run of this study saved in ``out``, without running
        anything: as :meth:`run` returns them.

        Raises
        ------
        SimulationError
            If ``out`` holds no run, another study's, or a run with chunks missing
            (one interrupted: :meth:`run` with ``out`` finishes it).
        """
        folder = Path(out)
        manifest = folder / _MANIFEST
        if not manifest.exists():
            raise SimulationError(f"{folder}: no saved run of a simulation study there")
        saved = json.loads(manifest.read_text(encoding="utf-8"))
        chunk_size = saved.get("chunk_size")
        fingerprint = self._fingerprint(chunk_size if isinstance(chunk_size, int) else 0)
        if saved != fingerprint:
            differ = sorted(k for k in fingerprint if saved.get(k) != fingerprint[k])
            raise SimulationError(
                f"{manifest}: the results there are from another study "
                f"(it differs in {', '.join(differ)})"
            )
        count = -(-self.n_tasks // fingerprint["chunk_size"])
        missing = [i for i in range(count) if not _chunk_path(folder, i).exists()]
        if missing:
            raise SimulationError(
                f"{folder}: {len(missing)} of {count} chunks are missing (the first is "
                f"{_chunk_path(folder, missing[0]).name}); run the study with out= to finish"
            )
        results = pd.concat(
            [pd.read_parquet(_chunk_path(folder, i)) for i in range(count)], ignore_index=True
        )
        return self._with_design(results)

    def _with_design(self, results: pd.DataFrame) -> pd.DataFrame:
        design = self.design.reset_index(drop=True)
        columns = list(design.columns)
        taken = set(columns) & set(RESULT_COLUMNS)
        if taken:
            raise SimulationError(f"design columns clash with result columns: {sorted(taken)}")
        picked = design.iloc[results["point"].to_numpy()].reset_index(drop=True)
        return pd.concat([picked, results.reset_index(drop=True)], axis=1)[
            [*columns, *RESULT_COLUMNS, *self.keep]
        ]

    def _fingerprint(self, chunk_size: int) -> dict[str, Any]:
        fingerprint = {
            "n_reps": self.n_reps,
            "seed": self.seed,
            "chunk_size": chunk_size,
            "methods": list(self.methods),
            "design": json.loads(self.design.to_json(orient="split", index=False)),
        }
        # only a study that keeps columns names them: the runs saved before keep= existed
        # are the same studies, and must still resume and read
        if self.keep:
            fingerprint["keep"] = list(self.keep)
        return fingerprint

    def _prepare(self, folder: Path, chunk_size: int, resume: bool) -> None:
        """Create ``folder`` or check it holds chunks of this very study."""
        folder.mkdir(parents=True, exist_ok=True)
        manifest = folder / _MANIFEST
        fingerprint = self._fingerprint(chunk_size)
        if manifest.exists() and resume:
            saved = json.loads(manifest.read_text(encoding="utf-8"))
            if saved != fingerprint:
                differ = sorted(k for k in fingerprint if saved.get(k) != fingerprint[k])
                raise SimulationError(
                    f"{manifest}: the results there are from another study (it differs in "
                    f"{', '.join(differ)}); use another folder or resume=False"
                )
            return
        for old in folder.glob("chunk-*.parquet"):
            old.unlink()
        _write_text_atomic(json.dumps(fingerprint, indent=2, sort_keys=True), manifest)


def _design_frame(design: Mapping[str, Sequence[Any]] | pd.DataFrame | None) -> pd.DataFrame:
    if design is None:
        return pd.DataFrame(index=pd.RangeIndex(1))
    if isinstance(design, pd.DataFrame):
        if design.empty:
            raise SimulationError("design has no rows")
        frame = design.reset_index(drop=True)
    elif isinstance(design, Mapping):
        names = list(design)
        values = []
        for name in names:
            levels = design[name]
            if isinstance(levels, str) or not isinstance(levels, Sequence | np.ndarray):
                raise SimulationError(f"design[{name!r}] must be a list of levels")
            if len(levels) == 0:
                raise SimulationError(f"design[{name!r}] has no levels")
            values.append(list(levels))
        frame = pd.DataFrame(list(itertools.product(*values)), columns=names)
    else:
        raise SimulationError("design must be a dict of lists or a DataFrame")
    if not all(isinstance(c, str) for c in frame.columns):
        raise SimulationError("design column names must be str")
    return frame


# -- one chunk ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    """What a worker needs: picklable, and the same for every chunk."""

    generate: Generate
    methods: dict[str, Method]
    seed: int
    keep: tuple[str, ...]

    def __call__(self, tasks: list[_Task]) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        for task in tasks:
            rows.extend(self._replicate(task))
        # fixed dtypes, so chunks from any backend are byte-identical Parquet; built
        # column by column, as a frame of records then cast would cost about 20 ms a
        # chunk in pandas' dtype machinery
        columns: dict[str, np.ndarray] = {
            name: np.array([row[name] for row in rows], dtype=_DTYPES.get(name, object))
            for name in RESULT_COLUMNS
        }
        for name in self.keep:
            columns[name] = np.array([row.get(name, np.nan) for row in rows], dtype=np.float64)
        return pd.DataFrame(columns)

    def _replicate(self, task: _Task) -> list[dict[str, Any]]:
        sequence = np.random.SeedSequence(self.seed, spawn_key=(task.point, task.rep))
        rng = np.random.default_rng(sequence)
        base = {"point": task.point, "rep": task.rep}
        try:
            data, truth = self.generate(dict(task.params), rng)
        except Exception as exc:  # a failed draw is a result, recorded for every method
            message = f"generate: {_message(exc)}"
            return [_failed(base, name, message) for name in self.methods]
        rows: list[dict[str, Any]] = []
        for name, method in self.methods.items():
            try:
                estimates = _estimate_rows(method(data, dict(task.params)), self.keep)
            except Exception as exc:  # one failed fit must not stop the study
                rows.append(_failed(base, name, _message(exc)))
                continue
            for row in estimates:
                estimand = row["estimand"]
                rows.append({**base, "method": name, **row, "truth": _truth_of(truth, estimand)})
        return rows


def _message(exc: Exception) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" ({Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _failed(base: dict[str, Any], method: str, message: str) -> dict[str, Any]:
    return {
        **base,
        "method": method,
        "estimand": None,
        **dict.fromkeys(_NUMBERS, np.nan),
        "truth": np.nan,
        "error": message,
    }


def _estimate_rows(value: Any, keep: tuple[str, ...]) -> list[dict[str, Any]]:
    """A method's return value as rows with every estimate column."""
    if isinstance(value, pd.DataFrame):
        records = value.to_dict("records")
    elif isinstance(value, Mapping):
        records = [dict(value)]
    elif isinstance(value, list) and all(isinstance(r, Mapping) for r in value):
        records = [dict(r) for r in value]
    else:
        raise SimulationError(
            f"a method returned {type(value).__name__}: return a dict, a list of dicts "
            "or a DataFrame of estimate rows"
        )
    rows = []
    for record in records:
        if "estimate" not in record:
            raise SimulationError("a method's row has no 'estimate'")
        estimand = record.get("estimand", DEFAULT_ESTIMAND)
        row: dict[str, Any] = {"estimand": DEFAULT_ESTIMAND if estimand is None else str(estimand)}
        for column in _NUMBERS:
            number = record.get(column)
            row[column] = np.nan if number is None else float(number)
        row["error"] = None
        for key in keep:
            value = record.get(key)
            if value is not None and not isinstance(value, int | float | np.number):
                raise SimulationError(
                    f"a method's row has {key!r} = {value!r}: a kept column must be numbers"
                )
            row[key] = np.nan if value is None else float(value)
        rows.append(row)
    return rows


def _truth_of(truth: Any, estimand: str) -> float:
    if isinstance(truth, Mapping):
        value = truth.get(estimand)
        return np.nan if value is None else float(value)
    return np.nan if truth is None else float(truth)


# -- backends -------------------------------------------------------------------------


def _execute(
    backend: Backend,
    job: _Job,
    chunks: list[list[_Task]],
    pending: list[int],
    *,
    scheduler: str | None,
    n_workers: int | None,
) -> Iterator[tuple[int, pd.DataFrame]]:
    """Chunks as they finish, in any order, as ``(index, frame)``."""
    if not pending:
        return
    workers = min(n_workers or os.cpu_count() or 1, len(pending))
    if backend == "serial":
        for index in pending:
            yield index, job(chunks[index])
    elif backend == "processes":
        pool = ProcessPoolExecutor(max_workers=workers)
        try:
            futures = {pool.submit(job, chunks[index]): index for index in pending}
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            # on an interruption, drop the chunks not started rather than wait for them
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        yield from _execute_dask(job, chunks, pending, scheduler, workers)


def _execute_dask(
    job: _Job,
    chunks: list[list[_Task]],
    pending: list[int],
    scheduler: str | None,
    workers: int,
) -> Iterator[tuple[int, pd.DataFrame]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise SimulationError(
            "backend='dask' needs dask.distributed: pip install 'dask[distributed]'"
        ) from exc
    # The run's own client is never made the default: a notebook's client (often
    # opened with `with Client(...)`) stays the user's, and nothing of ours outlives
    # the run.
    cluster = local_cluster(workers) if scheduler is None else None
    client = Client(cluster if cluster is not None else scheduler, set_as_default=False)
    try:
        # the job goes to the workers once, not once per chunk
        [remote_job] = client.scatter([job], broadcast=True)
        # keys unique to this run: a long-lived cluster must not hand back another
        # run's chunk under the same name
        run_id = uuid.uuid4().hex
        futures = {
            client.submit(_call, remote_job, chunks[index], key=f"chunk-{index}-{run_id}"): index
            for index in pending
        }
        # as_completed otherwise listens on the default client's event loop: inside a
        # user's `with Client(...)` block that is another client's, and chunks that had
        # finished were seen only on its periodic wake-ups (32 worlds of about 0.4 s took
        # 10.0 s on two workers instead of 7.6 s)
        for future in dask_completed(futures, loop=client.loop):
            yield futures[future], future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


#: Dask settings of the workers :func:`local_cluster` starts, and why.
WORKER_CONFIG: dict[str, Any] = {
    # Dask starts workers with MALLOC_TRIM_THRESHOLD_=65536, so that they hand freed
    # memory back to the system. Setting it switches off glibc's adaptive mmap
    # threshold: every array above 128 KiB is then mapped afresh and every page of it
    # faulted in. A replicate of the study's primary analysis on a 2,000-application
    # world took 19,000-24,000 page faults and 0.2-0.5 s more CPU per world that way
    # (serial: under 200 faults). None removes the variable: glibc then keeps freed
    # memory for the next replicate to reuse.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # The rest is housekeeping that wakes a worker's event loop, which must then take
    # the GIL from the replicate running beside it: the statistical profiler (every
    # 10 ms, for a dashboard nobody watches during a batch of replicates), the
    # blocked-loop check (every 20 ms), the memory monitor (every 100 ms) and the
    # system monitor (every 500 ms). Together they cost an idle worker 3-4% of a core
    # (0.5% with these settings); a replicate of seconds needs none of them that often.
    # The memory limit is still enforced, within a second.
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def local_cluster(n_workers: int | None = None) -> Any:
    """A ``dask.distributed.LocalCluster`` set up to run simulation replicates.

    ``n_workers`` single-threaded worker processes (default: the number of CPUs)
    started with :data:`WORKER_CONFIG`, no dashboard. ``backend="dask"`` without a
    ``scheduler`` runs on one of these; start one yourself to keep it warm across
    studies (use it as a context manager and pass ``cluster.scheduler_address``). On a
    cluster of your own, give its workers the same settings (``dask.config`` or the
    environment of ``dask worker``) for the same throughput.
    """
    import dask
    from distributed import LocalCluster

    workers = n_workers or os.cpu_count() or 1
    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )


def _call(job: _Job, tasks: list[_Task]) -> pd.DataFrame:
    return job(tasks)


# -- files ----------------------------------------------------------------------------


def _chunk_path(folder: Path, index: int) -> Path:
    return folder / f"chunk-{index:06d}.parquet"


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write to a temporary name in the same folder, then rename over ``path``."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(temporary, index=False)
    os.replace(temporary, path)


def _write_text_atomic(text: str, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
