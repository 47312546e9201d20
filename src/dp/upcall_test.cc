int dummy_upcall_test;
