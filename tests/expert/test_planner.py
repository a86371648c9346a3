"""The exact planner: minimal lengths and optimal-action sets, checked against plain BFS."""

from __future__ import annotations

import random
from collections import defaultdict, deque

import pytest

from stgrpo.expert.heuristic import AssemblyHeuristic, _choice_floor, _processing_actions
from stgrpo.expert.planner import OptimalPlanner, solve
from stgrpo.kitchen import KitchenEnv, World
from stgrpo.kitchen.generate import generate_layout
from stgrpo.kitchen.goal import View
from stgrpo.kitchen.rules import apply, successors, valid_actions
from stgrpo.kitchen.search import SearchLimitError, shortest_plan
from stgrpo.kitchen.tasks import TASKS


def check_solution(world: World, solution) -> None:
    """Every recorded optimal action leads one step closer; no other action does."""
    for state, actions in solution.optimal_actions.items():
        to_go = solution.steps_to_go[state]
        if to_go == 0:
            assert world.goal_reached(state) and actions == ()
            continue
        assert actions, "a non-goal state on an optimal plan has an optimal action"
        for action in valid_actions(world, state):
            child = apply(world, state, action)
            if action in actions:
                assert solution.steps_to_go[child] == to_go - 1
            else:
                shorter = shortest_plan(world, child, max_states=200_000)
                assert shorter is None or len(shorter) >= to_go


@pytest.mark.parametrize(
    ("task", "optimal"),
    [
        ("cheese_sandwich", 8),
        ("burger", 8),
        ("cheeseburger", 15),
        ("double_cheeseburger", 23),
        ("lettuce_sandwich", 14),  # cutting
        ("lettuce_tomato_sandwich", 24),  # two items to cut (BFS: ~135k states, ~12 s)
    ],
)
def test_default_layouts_match_breadth_first_search(task, optimal):
    world = World.from_layout(TASKS[task].default_layout)
    fast = solve(world, heuristic=AssemblyHeuristic(world))
    slow = solve(world)  # no heuristic: breadth-first, the independent reference
    assert fast.length == slow.length == optimal
    assert fast.optimal_actions == slow.optimal_actions
    assert fast.expanded < slow.expanded


@pytest.mark.parametrize(
    ("task", "seeds"),
    [
        ("cheese_sandwich", range(6)),
        ("burger", range(6)),
        ("lettuce_sandwich", [0]),
        ("cheeseburger", range(2)),
    ],
)
def test_generated_layouts_match_breadth_first_search(task, seeds):
    for seed in seeds:
        world = World.from_layout(generate_layout(task, seed))
        fast = solve(world, heuristic=AssemblyHeuristic(world))
        slow = solve(world)
        assert (fast.length, fast.optimal_actions) == (slow.length, slow.optimal_actions)


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_optimal_actions_are_verified_by_replay(seed):
    world = World.from_layout(generate_layout("burger", seed))
    check_solution(world, solve(world, heuristic=AssemblyHeuristic(world)))


def test_following_any_optimal_actions_reaches_the_goal_in_minimal_steps():
    world = World.from_layout(TASKS["cheese_sandwich"].default_layout)
    solution = solve(world, heuristic=AssemblyHeuristic(world))
    assert len(solution.actions(world.initial)) == 1
    assert max(len(a) for a in solution.optimal_actions.values()) == 2  # either bread on top
    for seed in range(10):
        rng, env = random.Random(seed), KitchenEnv(world)
        env.reset()
        for _ in range(solution.length):
            action = rng.choice(solution.actions(env.state))
            env.step_action(action)
        assert env.success and env.steps == solution.length


def test_heuristic_is_admissible_on_random_states():
    rng = random.Random(0)
    for task, seed in [
        ("cheese_sandwich", 0),
        ("cheese_sandwich", 3),
        ("burger", 1),
        ("burger", 2),
        ("lettuce_sandwich", 0),
    ]:
        world = World.from_layout(generate_layout(task, seed))
        heuristic = AssemblyHeuristic(world)
        state = world.initial
        for _ in range(10):
            plan = shortest_plan(world, state, max_states=300_000)
            assert heuristic(state) <= len(plan)
            state = apply(world, state, rng.choice(valid_actions(world, state)))


def exact_distances(world: World) -> dict:
    """Every reachable state's distance to the goal: forward BFS, then backward from goals."""
    parents, seen, queue = defaultdict(list), {world.initial}, deque([world.initial])
    while queue:
        state = queue.popleft()
        if world.goal_reached(state):
            continue
        for action in valid_actions(world, state):
            child = apply(world, state, action)
            parents[child].append(state)
            if child not in seen:
                seen.add(child)
                queue.append(child)
    distance = {s: 0 for s in seen if world.goal_reached(s)}
    queue = deque(distance)
    while queue:
        child = queue.popleft()
        for parent in parents[child]:
            if parent not in distance:
                distance[parent] = distance[child] + 1
                queue.append(parent)
    return distance


@pytest.mark.parametrize(
    ("task", "seed"),
    [
        ("cheese_sandwich", None),
        ("burger", None),
        ("lettuce_sandwich", None),
        ("burger", 5),
        # a lettuce to cut is held away from a free board, with the top bread on another
        # board (an earlier bound missed that the carry to the board leaves the robot's table)
        ("lettuce_sandwich", 25),
        ("lettuce_sandwich", 37),  # the lettuce is held and the only board holds a bread
        # every table occupied: items lying on an item that must be placed before them are
        # parked (put down, taken again), which the bound counts (9 -> 13 of 14 at the start)
        ("cheeseburger", 28),
    ],
)
def test_heuristic_is_admissible_on_every_reachable_state(task, seed):
    layout = TASKS[task].default_layout if seed is None else generate_layout(task, seed)
    world = World.from_layout(layout)
    heuristic = AssemblyHeuristic(world)
    distance = exact_distances(world)
    assert len(distance) > 200
    assert all(heuristic(state) <= d for state, d in distance.items())
    # and it is informative: a bound of 0 everywhere would pass the line above
    assert sum(heuristic(state) for state in distance) > 0.6 * sum(distance.values())


def test_the_bound_counts_the_puts_that_crossed_orders_force():
    # The one board holds a bread under a chicken; three items wait to be cut. Each way to
    # bind the dishes forces an item down twice: a top bread must leave the board before
    # what it covers is cut; a chicken must wait for its dish's floor bread, which lies
    # under it. Without those counts the start's bound was 51 and the search expanded
    # 75,603 states.
    world = World.from_layout(
        generate_layout("onion_cheese_burger_and_lettuce_tomato_chicken_sandwich", 0)
    )
    planner = OptimalPlanner(world, AssemblyHeuristic(world))
    assert planner.distance(world.initial) == 60
    assert AssemblyHeuristic(world)(world.initial) == 59
    assert planner.expanded < 1000


def test_a_first_cut_needs_an_uncounted_action_before_it_as_a_first_take_does():
    # A lettuce lies alone on a board: it may be taken right after its last cut, but its
    # first cut needs empty hands there, after a move or a wait no count includes. Without
    # that gap the start's bound was 35 and the plans expanded 6,908 states.
    world = World.from_layout(generate_layout("two_lettuce_chicken_sandwich", 5))
    planner = OptimalPlanner(world, AssemblyHeuristic(world))
    assert AssemblyHeuristic(world)(world.initial) == planner.distance(world.initial) == 36
    assert planner.expanded < 1000


def test_an_item_above_what_must_leave_the_only_board_is_put_down_before_it_comes_back():
    # A lettuce lies on a tomato on the one board: the tomato cannot leave while the
    # lettuce is held, so the lettuce goes somewhere else before it is cut there. Without
    # that count the start's bound was 38 and the plan expanded 1,986 states.
    world = World.from_layout(generate_layout("two_lettuce_chicken_sandwich", 16))
    planner = OptimalPlanner(world, AssemblyHeuristic(world))
    assert AssemblyHeuristic(world)(world.initial) == planner.distance(world.initial) == 42


def test_a_held_item_to_process_is_put_down_when_every_station_for_it_is_occupied():
    # The robot holds a lettuce to cut and the one board holds a top bun: the bun cannot
    # leave while the lettuce is held, so the lettuce is put down once before the board.
    # Without that count the start's bound was 42.
    world = World.from_layout(generate_layout("two_lettuce_tomato_burger", 6))
    planner = OptimalPlanner(world, AssemblyHeuristic(world))
    assert AssemblyHeuristic(world)(world.initial) == planner.distance(world.initial) == 45


def test_a_take_that_waits_for_a_timer_needs_an_uncounted_action_before_it():
    # The patty must be cooked (4 ticks) and then taken to the bun: that take cannot follow
    # its Cook step, so a move or a wait comes before it. Without it the bound was 11.
    world = World.from_layout(generate_layout("burger", 0))
    assert AssemblyHeuristic(world)(world.initial) == 12
    assert OptimalPlanner(world, AssemblyHeuristic(world)).distance(world.initial) == 12


def test_the_first_board_used_is_emptied_before_anything_is_cut():
    # Three boards, each occupied (two by the dishes' top breads), and two lettuces to cut:
    # whichever board takes the first lettuce, what lies on it leaves while both are uncut,
    # so a top bread there is put down twice (the bound was 36 of 40 when it had to cover
    # every lettuce waiting)
    world = World.from_layout(generate_layout("two_lettuce_chicken_sandwich", 3))
    assert AssemblyHeuristic(world)(world.initial) == 39
    assert OptimalPlanner(world, AssemblyHeuristic(world)).distance(world.initial) == 40


@pytest.mark.parametrize(
    "task",
    [
        "two_lettuce_chicken_sandwich",
        "two_lettuce_tomato_burger",
        "onion_cheese_burger_and_lettuce_tomato_chicken_sandwich",
    ],
)
def test_two_interchangeable_dishes_halve_the_work_not_the_bound(task):
    rng = random.Random(1)
    two_alike = task != "onion_cheese_burger_and_lettuce_tomato_chicken_sandwich"
    for seed in range(2):
        world = World.from_layout(generate_layout(task, seed))
        quotient, full = AssemblyHeuristic(world), AssemblyHeuristic(world, symmetry=False)
        compiled = [sum(len(s) for _, s in h.bindings) for h in (quotient, full)]
        assert compiled[0] * 2 <= compiled[1] + 16 if two_alike else compiled[0] == compiled[1]
        state = world.initial
        for _ in range(40):  # a random walk: the two count the same in every state
            assert quotient(state) == full(state), (task, seed)
            state = apply(world, state, rng.choice(valid_actions(world, state)))


def test_search_limits_are_explicit():
    world = World.from_layout(TASKS["double_cheeseburger"].default_layout)
    with pytest.raises(SearchLimitError, match="after 100 states"):
        solve(world, max_states=100)


@pytest.mark.parametrize(("task", "seed"), [("double_cheeseburger", 12), ("lettuce_sandwich", 4)])
def test_the_bound_does_not_depend_on_the_states_counted_before(task, seed):
    # A heuristic keeps each scenario's robot-free count for the next state that differs
    # only in the robot's station, as a search's moves out of one state do; a fresh one
    # per state must count the same. The walk cuts whenever it can: a cut changes only
    # a timer, which the kept count must notice.
    world = World.from_layout(generate_layout(task, seed))
    rng, shared, state = random.Random(seed), AssemblyHeuristic(world), world.initial
    cuts = 0
    for _ in range(30):
        moves = successors(world, state)
        for _, child in moves:
            assert shared(child) == AssemblyHeuristic(world)(child)
        cutting = [child for action, child in moves if action.kind == "cut"]
        cuts += bool(cutting)
        state = cutting[0] if cutting else rng.choice(moves)[1]
    assert cuts or task != "lettuce_sandwich"


@pytest.mark.parametrize(
    ("task", "seed"),
    [("double_cheeseburger", 12), ("two_lettuce_tomato_burger", 1), ("lettuce_sandwich", 4)],
)
def test_a_bounded_call_tells_the_bound_where_the_search_needs_it(task, seed):
    # bounded(state, floor, cap) is the bound itself inside (floor, cap], and on the right
    # side of that range outside it, whatever the calls before it asked
    world = World.from_layout(generate_layout(task, seed))
    rng, asked, state = random.Random(seed), AssemblyHeuristic(world), world.initial
    for _ in range(25):
        for _, child in successors(world, state):
            h = AssemblyHeuristic(world)(child)
            floor, cap = rng.randint(-1, h + 2), rng.choice([None, *range(max(0, h - 3), h + 3)])
            value = asked.bounded(child, floor, cap)
            if cap is not None and h > cap:
                assert cap < value <= h
            elif h <= floor:
                assert h <= value <= floor and (cap is None or value <= cap)
            else:
                assert value == h
        state = rng.choice(successors(world, state))[1]


def assert_floors_sum_alike(heuristic: AssemblyHeuristic, state, view, processing) -> None:
    """The two ways of summing the floors, binding by binding and as arrays, agree."""
    parts, pairs = heuristic._floors.inputs(state, view, processing)
    by_binding = heuristic._floors._per_binding(state, view, parts, pairs)
    as_arrays = heuristic._floors._as_arrays(state, view, parts, pairs)
    assert by_binding == tuple(a.tolist() for a in as_arrays)


def every_count(heuristic: AssemblyHeuristic, state) -> list[tuple[int, int]]:
    """(whole count, floor) of every plausible scenario in `state`, none skipped or stopped."""
    view = View(state, heuristic.n_items)
    processing = {
        (obj, bits): _processing_actions(heuristic.remaining_cuts, state, bits, obj)
        for obj, bits in heuristic.processed
    }
    floors = heuristic._floors.least(state, view, processing)
    assert_floors_sum_alike(heuristic, state, view, processing)
    counts = []
    assert len(floors) == len(heuristic.bindings)
    for index, (goal_objects, scenarios) in enumerate(heuristic.bindings):
        least = floors[index]
        for choice in heuristic._station_choices(view, goal_objects, scenarios):
            scenario = scenarios[choice]
            part = scenario._robot_free(state, view, processing, 1 << 30)
            if not isinstance(part, int):
                part = scenario._with_robot(part, state, state.robot)
            counts.append((part, _choice_floor(least, choice)))
    return counts


@pytest.mark.parametrize(
    ("task", "seed"),
    [
        ("two_lettuce_chicken_sandwich", None),
        ("onion_cheese_burger_and_lettuce_tomato_chicken_sandwich", 3),
        ("lettuce_tomato_cheeseburger", 2),
        ("double_cheeseburger", 5),
        ("double_cheeseburger", 12),  # spare items (unbound by some bindings) lie on others
    ],
)
def test_the_floors_that_skip_scenarios_never_exceed_their_counts(task, seed):
    # a floor above its scenario's count would skip the minimum: h must stay the least
    # whole count, and `bounded` must keep its contract, along a random walk
    layout = TASKS[task].default_layout if seed is None else generate_layout(task, seed)
    world = World.from_layout(layout)
    rng, heuristic, state = random.Random(seed), AssemblyHeuristic(world), world.initial
    for _ in range(12):
        for _, child in successors(world, state):
            counts = every_count(heuristic, child)
            assert all(floor <= count for count, floor in counts)
            h = min(count for count, _ in counts)
            assert heuristic(child) == h
            cap = rng.randint(max(0, h - 4), h + 2)
            value = heuristic.bounded(child, -1, cap)
            assert cap < value <= h if h > cap else value == h
        state = rng.choice(successors(world, state))[1]


def test_the_floors_of_a_layout_with_spare_items_stay_below_its_counts():
    # six breads for four places (1,440 bindings, floors summed as arrays): spare breads
    # lie on the only board and on goal items; the start state's floors are tight, so a
    # term that counts a spare item twice would skip the minimum
    world = World.from_layout(generate_layout("two_lettuce_chicken_sandwich", 17))
    rng, heuristic, state = random.Random(17), AssemblyHeuristic(world), world.initial
    counts = every_count(heuristic, state)
    assert all(floor <= count for count, floor in counts)
    assert heuristic(state) == min(count for count, _ in counts) == 47  # the optimum
    assert sum(floor < 47 for _, floor in counts) < len(counts) // 20  # most are skipped
    for _ in range(30):
        state = rng.choice(successors(world, state))[1]
        view = View(state, heuristic.n_items)
        processing = {
            (obj, bits): _processing_actions(heuristic.remaining_cuts, state, bits, obj)
            for obj, bits in heuristic.processed
        }
        assert_floors_sum_alike(heuristic, state, view, processing)


def test_the_planner_labels_alike_with_a_heuristic_that_cannot_stop_early():
    # a plain callable is asked for the whole bound: the labels must not change
    world = World.from_layout(generate_layout("two_lettuce_tomato_burger", 1))
    full = AssemblyHeuristic(world)
    plain = OptimalPlanner(world, lambda state: full(state))
    labels = planner_labels(world, 1)
    assert labels == [
        (state, plain.actions(state), plain.distance(state)) for state, _, _ in labels
    ]


def planner_labels(world: World, seed: int) -> list:
    """(state, optimal actions, distance) along one seeded walk of `OptimalPlanner`."""
    planner, rng = OptimalPlanner(world, AssemblyHeuristic(world)), random.Random(seed)
    state, labels = world.initial, []
    while True:
        actions = planner.actions(state)
        labels.append((state, actions, planner.distance(state)))
        if not actions:
            return labels
        state = apply(world, state, rng.choice(actions))


@pytest.mark.parametrize(
    ("task", "seeds"),
    [
        ("cheese_sandwich", [None, 0, 1, 2]),
        ("burger", [None, 0, 1, 2]),
        ("cheeseburger", [None, 0, 28]),
        ("double_cheeseburger", [None, 3, 12]),
        ("lettuce_sandwich", [None, 25, 37]),
        ("lettuce_tomato_sandwich", [None, 14]),
        ("lettuce_tomato_cheeseburger", [None, 4]),  # items only *at* the table: any order
    ],
)
def test_the_state_by_state_planner_labels_as_the_whole_graph_does(task, seeds):
    for seed in seeds:
        world = World.from_layout(
            TASKS[task].default_layout if seed is None else generate_layout(task, seed)
        )
        graph = solve(world, heuristic=AssemblyHeuristic(world))
        labels = planner_labels(world, seed or 0)
        assert labels[0][2] == graph.length and labels[-1][2] == 0
        for state, actions, distance in labels:
            assert actions == graph.actions(state), (task, seed)
            assert distance == graph.steps_to_go[state]


def test_the_state_by_state_planner_matches_breadth_first_search_off_the_plan():
    # states a plan never visits (a random walk), where the tables hold only bounds
    world = World.from_layout(generate_layout("burger", 4))
    planner, rng, state = (
        OptimalPlanner(world, AssemblyHeuristic(world)),
        random.Random(4),
        world.initial,
    )
    for _ in range(12):
        reference = solve(world, start=state)  # breadth-first from this state
        assert planner.distance(state) == reference.length
        assert planner.actions(state) == reference.actions(state)
        state = apply(world, state, rng.choice(valid_actions(world, state)))


def test_the_state_by_state_planner_reports_its_search_limit():
    world = World.from_layout(TASKS["double_cheeseburger"].default_layout)
    with pytest.raises(SearchLimitError, match="after 100 states without reaching"):
        OptimalPlanner(world, max_states=100).distance(world.initial)
