"""fit: the training loop — batches, forward, J, backward, optimizer step, callbacks, checkpoints.

One epoch is one pass over the training data: a single step of batch gradient descent when
``batch_size`` is None, otherwise the mini-batches of a fresh shuffle drawn from the model's
random generator. The epoch's ``cost``/``loss``/``error`` are averaged over its mini-batches
as they were computed (before each update, with dropout if any), as in the textbook; the dev
metrics are measured after the epoch's updates, without dropout.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..data.augment import Augmenter
from ..data.normalize import Standardizer
from ..nn import network
from ..nn.metrics import error_rate
from ..nn.optimizers import Optimizer, get_optimizer
from ..nn.parameters import packed, packed_vector
from ..nn.schedules import Constant, get_schedule
from ..nn.workspace import Workspace
from ..validation import is_integer
from .batches import TrainingData, streamed, streamed_standardizer, training_matrix
from .callbacks import Callback
from .checkpoint import Checkpoint, RunDirectory, data_fingerprint
from .guard import DivergenceGuard, Gradients
from .history import History
from .model import MLP
from .progress import ProgressBar


def fit(
    model: MLP,
    X: ArrayLike,
    y: ArrayLike,
    *,
    epochs: int | None = None,
    learning_rate: float | None = None,
    optimizer: Any = "gd",
    batch_size: int | None = None,
    dev: tuple[ArrayLike, ArrayLike] | None = None,
    callbacks: Sequence[Callback] = (),
    normalize: bool = True,
    schedule: Any = None,
    augment: Augmenter | None = None,
    run_dir: str | os.PathLike[str] | None = None,
    checkpoint_every: int | None = None,
    resume: str | os.PathLike[str] | None = None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` on ``X`` (n_samples, n_features) and ``y`` (n_samples,).

    ``X`` may be memory-mapped (``np.load(path, mmap_mode="r")``): it is then streamed, never
    loaded or copied whole (see :mod:`dlrecipe.train.batches`; use a ``batch_size``).

    Parameters
    ----------
    epochs, learning_rate
        Passes over the data, and the step size α (required unless resuming).
    optimizer
        ``"gd"``, ``"momentum"``, ``"rmsprop"``, ``"adam"`` or an optimizer from
        :mod:`dlrecipe.nn.optimizers` (e.g. ``Adam(beta1=0.9)``).
    batch_size
        None for batch gradient descent (an epoch is one step), else the mini-batch size.
    dev
        ``(X_dev, y_dev)`` measured after every epoch (needed by early stopping).
    callbacks
        E.g. ``EarlyStopping(patience=10)``; the divergence guard is always added.
    normalize
        Fit a :class:`~dlrecipe.data.Standardizer` on ``X`` (the training data only) and
        keep it in the model, so ``predict`` and ``cost`` normalize their inputs the same way.
    schedule
        Learning-rate decay per epoch (see :mod:`dlrecipe.nn.schedules`), None for constant.
    augment
        An :class:`~dlrecipe.data.Augmenter` applied on the fly to every training batch
        (never to dev); ``X`` must then hold flattened images.
    run_dir
        A folder for the configuration, the history as CSV, the model and checkpoints every
        ``checkpoint_every`` epochs (default: every tenth of the epochs), all written atomically.
    resume
        A run folder to continue from its last checkpoint, bit for bit as if never stopped;
        the other settings come from the checkpoint (``epochs`` may be raised).
    progress
        A progress bar on standard error; None shows it only on a terminal.

    Returns the :class:`History`. Raises :class:`~dlrecipe.train.guard.TrainingDiverged` when
    the cost explodes (the model then keeps its best weights).
    """
    X = training_matrix(X)  # a memory map stays one: see batches.streamed
    folder = resume if resume is not None else run_dir
    run = RunDirectory(folder) if folder is not None else None
    fingerprint = data_fingerprint(X, np.asarray(y)) if run is not None else ""
    checkpoint: Checkpoint | None = None
    if resume is not None:
        assert run is not None
        checkpoint = run.latest_checkpoint()
        config = checkpoint.resumed_config(
            epochs=epochs, learning_rate=learning_rate, fingerprint=fingerprint
        )
        checkpoint.restore_model(model)
        history, start = History.from_state(checkpoint.history), checkpoint.epoch + 1
    else:
        if epochs is None or learning_rate is None:
            raise ValueError("fit needs epochs= and learning_rate= (or resume= a run folder)")
        config = _config(
            epochs=epochs,
            learning_rate=learning_rate,
            optimizer=optimizer,
            batch_size=batch_size,
            normalize=normalize,
            schedule=schedule,
            augment=augment,
            checkpoint_every=checkpoint_every,
            n_examples=len(X),
        )
        if not normalize:
            model.standardizer = None
        else:
            model.standardizer = streamed_standardizer(X) if streamed(X) else Standardizer().fit(X)
        history, start = History(), 0
    if packed_vector(model.params) is None:  # e.g. arrays assigned by hand: one θ again
        model.params = packed(model.params)
    opt = get_optimizer(config["optimizer"])
    if checkpoint is not None:
        opt.load_state(*checkpoint.optimizer_state)
    decay = get_schedule(config["schedule"])
    constant = isinstance(decay, Constant)
    augmenter = Augmenter.from_config(config["augment"]) if config["augment"] else None
    data = TrainingData(model, X, y, batch_size=config["batch_size"], augmenter=augmenter, dev=dev)

    guard = DivergenceGuard(
        learning_rate=config["learning_rate"], init=model.init, normalized=config["normalize"]
    )
    show = progress or (progress is None and ProgressBar.wanted())
    everyone = [guard, *callbacks, *([ProgressBar(total=config["epochs"])] if show else [])]
    if checkpoint is not None:
        checkpoint.restore_callbacks(everyone)
    elif run is not None:
        run.start(config, model)
    model.stop_training = False
    for callback in everyone:
        callback.on_train_begin(model, history)

    # The step's arrays, allocated once; the gradients are written straight into the
    # optimizer's flat dθ (the first step reads them from there without a copy).
    workspace = Workspace(
        model.spec,
        data.rows,
        model.dtype,
        grads=opt.gradient_buffers(model.params),
        params=model.params,
    )
    if data.batch_size is None and data.A_all is not None:
        data.A_all = workspace.hold_input(data.A_all)  # every epoch's A[0]: copied in once
    grads: Gradients = {}
    # Overflow in a diverging network is expected: the guard turns it into a diagnosis.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(start, config["epochs"]):
            began = time.perf_counter()
            lr = config["learning_rate"] if constant else decay(config["learning_rate"], epoch)
            logs, grads = _one_epoch(model, data, opt, lr, guard, epoch, grads, workspace)
            if data.dev is not None:
                logs |= data.dev_metrics()
            logs["seconds"] = time.perf_counter() - began
            guard.check_epoch(model, epoch, logs["cost"], grads)
            history.append(epoch, logs)
            for callback in everyone:
                callback.on_epoch_end(model, epoch, logs)
            done = model.stop_training or epoch == config["epochs"] - 1
            if run is not None and (done or (epoch + 1) % config["checkpoint_every"] == 0):
                guard.check_weights(model, epoch, grads)
                run.save_checkpoint(
                    Checkpoint.capture(epoch, model, opt, everyone, history, config, fingerprint)
                )
            if model.stop_training:
                break
    if history.rows:
        guard.check_weights(model, int(history.rows[-1]["epoch"]), grads)
    for callback in everyone:
        callback.on_train_end(model, history)
    if run is not None:
        run.finish(model, history, config)
    return history


def _one_epoch(
    model: MLP,
    data: TrainingData,
    optimizer: Optimizer,
    learning_rate: float,
    guard: DivergenceGuard,
    epoch: int,
    grads: Gradients,
    workspace: Workspace,
) -> tuple[dict[str, float], Gradients]:
    """Forward, J, backward and an optimizer step for each mini-batch; the epoch's averages.

    Gradient descent's step is taken inside backward (``descend=α``), which then writes no
    gradients: the guard gets a function that computes the batch's, should it report them.
    """
    spec, params, rng, m = model.spec, model.params, model.rng, data.m
    output = spec.output.name
    in_backward = optimizer.steps_in_backward
    total_cost = total_loss = total_error = 0.0  # Σ b·J, Σ b·loss, Σ b·error over the batches
    for A0, Y in data.batches(rng):
        caches = network.forward(params, A0, spec, training=True, rng=rng, workspace=workspace)
        ZL, AL = caches[-1].Z, caches[-1].A
        # The penalty is scaled by the whole training set's m: λ means the same for any batch size.
        J, loss = network.cost(params, ZL, Y, spec, m_penalty=m, AL=AL)
        if in_backward:
            grads = functools.partial(
                network.backward, params, caches, Y, spec, m_penalty=m, workspace=workspace
            )
        guard.check_batch(model, epoch, J, grads)  # before any NaN reaches the weights
        b = A0.shape[1]
        total_cost += b * J
        total_loss += b * loss
        total_error += b * error_rate(output, ZL, AL, Y)
        if in_backward:
            network.backward(
                params, caches, Y, spec, m_penalty=m, workspace=workspace, descend=learning_rate
            )
            optimizer.count_step()
        else:
            grads = network.backward(params, caches, Y, spec, m_penalty=m, workspace=workspace)
            optimizer.step(params, grads, learning_rate)
    logs = {"cost": total_cost / m, "loss": total_loss / m, "error": total_error / m}
    logs["learning_rate"] = learning_rate
    return logs, grads


def _config(
    *,
    epochs: int,
    learning_rate: float,
    optimizer: Any,
    batch_size: int | None,
    normalize: bool,
    schedule: Any,
    augment: Augmenter | None,
    checkpoint_every: int | None,
    n_examples: int,
) -> dict[str, Any]:
    """The training configuration, checked and JSON-serializable (saved in the run folder)."""
    if not is_integer(epochs) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1; got epochs={epochs!r}")
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, int | float)
        or not (math.isfinite(learning_rate) and learning_rate > 0)
    ):
        raise ValueError(
            f"learning_rate must be a finite number > 0; got learning_rate={learning_rate!r}"
        )
    if batch_size is not None and (not is_integer(batch_size) or batch_size < 1):
        raise ValueError(
            "batch_size must be None (batch gradient descent) or an integer >= 1; "
            f"got {batch_size!r}"
        )
    if batch_size is not None and batch_size > n_examples:
        raise ValueError(
            f"batch_size={batch_size} is larger than the {n_examples} training examples; "
            "use batch_size=None for batch gradient descent"
        )
    if checkpoint_every is None:
        checkpoint_every = max(1, int(epochs) // 10)
    elif not is_integer(checkpoint_every) or checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be an integer >= 1; got {checkpoint_every!r}")
    return {
        "epochs": int(epochs),
        "learning_rate": float(learning_rate),
        "optimizer": get_optimizer(optimizer).to_config(),
        "batch_size": None if batch_size is None else int(batch_size),
        "normalize": bool(normalize),
        "schedule": None if schedule is None else get_schedule(schedule).to_config(),
        "augment": None if augment is None else augment.to_config(),
        "checkpoint_every": int(checkpoint_every),
    }
