int dummy_normal_test;
