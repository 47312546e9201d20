int dummy_oftable_test;
