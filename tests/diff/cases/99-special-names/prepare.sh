mkdir -p "dir with space" "ünïcödé" && echo s > "dir with space/file name.txt" && echo u > "ünïcödé/日本.txt"
echo q > "quote'single" && echo p > "percent%20" && echo d > "-dash" && echo h > "#hash"
