# stream.exs: Elixir's Task.async_stream on trivial items, the baseline of
# bench-stream (bench/run-all runs both).
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   elixir bench/stream.exs [N] [--max-concurrency C] [--rounds R]
#
# Times, R times (default 5), with :timer.tc,
#
#   1..N |> Task.async_stream(fn x -> x end, max_concurrency: C)
#
# consumed by counting its {:ok, _} results (as bench-stream's ::item
# handler counts), and prints the time per item of each round, then the
# best and the median. N defaults to 1 000 000, C to 2. Every option of
# async_stream is left at its default (ordered, a 5 s timeout per item).
# The work is in a module, so that it is compiled rather than run by the
# interpreter of .exs scripts; a 10 000-item round runs first, unreported.

defmodule StreamBench do
  def run(n, max_concurrency) do
    1..n
    |> Task.async_stream(fn x -> x end, max_concurrency: max_concurrency)
    |> Enum.reduce(0, fn {:ok, _}, count -> count + 1 end)
  end

  def time_round(n, max_concurrency) do
    {us, ^n} = :timer.tc(fn -> run(n, max_concurrency) end)
    us / n
  end

  def median(values) do
    sorted = Enum.sort(values)
    len = length(sorted)

    if rem(len, 2) == 1 do
      Enum.at(sorted, div(len, 2))
    else
      (Enum.at(sorted, div(len, 2) - 1) + Enum.at(sorted, div(len, 2))) / 2
    end
  end

  def format(us), do: :erlang.float_to_binary(us / 1, decimals: 3)

  def main(argv) do
    {opts, args, invalid} =
      OptionParser.parse(argv, strict: [max_concurrency: :integer, rounds: :integer])

    n =
      case {args, invalid} do
        {[], []} -> 1_000_000
        {[n], []} -> parse_count(n)
        _ -> usage()
      end

    max_concurrency = Keyword.get(opts, :max_concurrency, 2)
    rounds = Keyword.get(opts, :rounds, 5)
    if n < 1 or max_concurrency < 1 or rounds < 1, do: usage()

    IO.puts(
      "stream.exs: N = #{n} items per round, max_concurrency #{max_concurrency}, " <>
        "#{rounds} round#{if rounds == 1, do: "", else: "s"}"
    )

    IO.puts(
      "Elixir #{System.version()}, OTP #{System.otp_release()}, " <>
        "#{System.schedulers_online()} schedulers\n"
    )

    run(min(n, 10_000), max_concurrency)

    times =
      for r <- 1..rounds do
        us = time_round(n, max_concurrency)
        IO.puts("round #{r}: #{format(us)} µs/item")
        us
      end

    IO.puts("best #{format(Enum.min(times))} µs/item, median #{format(median(times))} µs/item")
  end

  defp parse_count(text) do
    case Integer.parse(text) do
      {n, ""} -> n
      _ -> usage()
    end
  end

  defp usage do
    IO.puts(:stderr, "usage: elixir stream.exs [N] [--max-concurrency C] [--rounds R]")
    System.halt(2)
  end
end

StreamBench.main(System.argv())
