(module (memory 20))
