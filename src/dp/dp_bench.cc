int dummy_dp_bench;
