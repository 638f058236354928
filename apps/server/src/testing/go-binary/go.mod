module example.com/berth-fixture

go 1.18

require example.com/greeting v1.4.2
