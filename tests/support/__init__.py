"""What tests share: factories, the world of people in every role, servers, ports, HTTP and browser helpers.

Test modules import from here, never from a conftest module or from another test module (tests/unit/
test_imports_between_tests.py checks it); fixtures stay in the deepest conftest.py that needs them."""
