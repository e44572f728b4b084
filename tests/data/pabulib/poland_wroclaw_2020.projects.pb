META
key;value
description;Municipal PB in Wrocław
country;Poland
unit;Wrocław
instance;2020
num_projects;76
num_votes;89419
budget;16000000
vote_type;approval
rule;greedy
date_begin;18.09.2020
date_end;05.10.2020
min_length;1
max_length;1
language;polish
edition;8
PROJECTS
project_id;cost;votes;name;categories;selected;district
1;2000000;3892;Park Mieszczański - Nowy centralny park Wrocławia;greenery/recreation;1;Ogólnomiejskie
2;2000000;3185;Rowerowy Wrocław 2020;walking/cycling infrastructure;0;Ogólnomiejskie
4;2000000;3654;Zielona Sieć Rowerowo-Piesza Wrocławia– PSIE POLE, KRZYKI, FABRYCZNA, STARE MIASTO, ŚRÓDMIEŚCIE;walking/cycling infrastructure;1;Ogólnomiejskie
5;2000000;4431;Park HENRYKOWSKI - #KolejNaZieleń – etap 2;greenery/recreation;1;Ogólnomiejskie
6;1100000;541;ZbudujMY Park Stawowy przy Dworcu Głównym PKP;greenery/recreation;0;Ogólnomiejskie
7;2000000;6148;ZIELONO MI - Etap 2. Parki, tereny zielone i rekreacyjne. LIPA PIOTROWSKA, PAWŁOWICE, WIDAWA, SOŁTYSOWICE, POLANOWICE – POŚWIĘTNE – LIGOTA.;greenery/recreation;1;Ogólnomiejskie
11;2000000;3486;„NIECH STANIE SIĘ JASNOŚĆ” - oświetlenie ścieżki pieszo-biegowej w parku linearnym na Wrocławskim Torze Wyścigów Konnych - Partynice;greenery/recreation;1;Ogólnomiejskie
13;2000000;1531;Drzewa na Legnickiej;greenery/recreation;0;Ogólnomiejskie
15;2000000;926;„PARK ALPEJSKI - ELEMENTY GÓRSKIEGO KRAJOBRAZU”;greenery/recreation;0;Ogólnomiejskie
18;2000000;804;ŻERNICZANIN - park aktywności z placem zabaw i siłownią, który „rośnie” razem z dzieckiem;playgrounds;0;Ogólnomiejskie
23;2000000;950;WROCŁAW DZIECIOM- kreatywne place zabaw na terenie miasta Wrocław – Park Szczytnicki i Park Wschodni;playgrounds;0;Ogólnomiejskie
33;2000000;2432;Górka Szczepińska - Reaktywacja!;greenery/recreation;0;Ogólnomiejskie
36;2000000;934;ROZBUDOWA ZIELENI W PARKU MAMUTA;greenery/recreation;0;Ogólnomiejskie
40;2000000;518;SMOKOLANDIA – Plac Zabaw „KOLOROWE SMOCZKI „ - Altana „ZAMEK”  + Ognisko - Zdjęcie Pamiątkowe przy KSIĘŻNICZCE lub RYCERZU przy skwerze na ul. Skarbowcow;greenery/recreation;0;Ogólnomiejskie
42;2000000;167;Park „LISTEK JAPOŃSKIEGO KLONU” na Wojnowie:= Park z KLONAMI  + Plac Zabaw „ZWIERZĄTKA JAPONII” + Psi Wybieg;greenery/recreation;0;Ogólnomiejskie
47;2000000;432;„DINOZAURY U STÓP WULKANU” na WZGÓRZU ANDERSA = Plac Zabaw „PRADAWNY LĄD” + Psi Wybieg;greenery/recreation;0;Ogólnomiejskie
50;2000000;341;Powiększamy Park Leśnicki;greenery/recreation;0;Ogólnomiejskie
54;2000000;1774;Powiększamy Park Tysiąclecia;greenery/recreation;0;Ogólnomiejskie
57;2000000;138;„NA SAFARI POD KILIMANDŻARO” = Plac Zabaw „LWIA STRAŻ” + Psi wybieg;greenery/recreation;0;Ogólnomiejskie
62;2000000;165;WYSPA WIDMO NA WYSPIE BIELARSKIEJ – OGROMNY WRAK ZATOPIONEGO STATKU;greenery/recreation;0;Ogólnomiejskie
65;2000000;117;Motylarnia na Kowalach – Chcemy śliczny  Park;greenery/recreation;0;Ogólnomiejskie
67;2000000;689;Maślicki Ogród Wodny „SREBRNA MAGIA” = Plac zabaw „ZWIERZĘTA WODNE” + Psi wybieg;greenery/recreation;0;Ogólnomiejskie
69;2000000;147;Park „MROKI i TAJEMNICE AMAZONII” na OKULICKIEGO = Plac Zabaw „KOLOROWE PAPUŻKI” + Niebieskie Molo;greenery/recreation;0;Ogólnomiejskie
86;2000000;517;PLAC INTEGRACJI SENSORYCZNEJ w malowniczej części miasta - dla sukcesów rozwojowych i wsparcia w fukcjonowaniu w przestrzeni publicznej. To będzie jedyne, tak wyjątkowe miejsce w Polsce !;playgrounds;0;Ogólnomiejskie
106;2000000;808;"Nowa droga – ul. Bogedaina przy ""Park Tarnogajski"" (od Armii Krajowej do Klimasa, Tarnogaj)";roads;0;Ogólnomiejskie
111;2000000;877;Ścieżka sportowo-rekreacyjna wokół stawu na Stabłowicach (Główna-Karpnicka);greenery/recreation;0;Ogólnomiejskie
144;1500000;511;Wojszycko-Ołtaszyńska rekreacja – ścieżka pieszo-rowerowa z drzewami – etap 1 – rondo Bednorza – ul. Iwaszkiewicza;walking/cycling infrastructure;0;Ogólnomiejskie
155;2000000;3370;Park Leonarda da Vinci na Gądowie Małym - etap III;greenery/recreation;1;Ogólnomiejskie
158;750000;513;Nowe dojście do Parku Tysiąclecia od strony ul. Rogowskiej;walking/cycling infrastructure;0;Ogólnomiejskie
166;1750000;861;Chodnik wraz ze ścieżką rowerową od Oporowa (ul. Kwiatkowskiego) do granic miasta Wrocław;walking/cycling infrastructure;0;Ogólnomiejskie
188;2000000;24;Woonerf na Gepperta;redevelopment;0;Ogólnomiejskie
192;2000000;2811;Zielone skwery Pilczyc– Etap II: „Rewitalizacja zieleni”;greenery/recreation;0;Ogólnomiejskie
194;200000;642;Ptaki bezpieczne w mieście: wiaty przystankowe widoczne dla ptaków;public transit;0;Ogólnomiejskie
200;2000000;5660;Zieleń i Sport we Wrocławiu - Gajowice, Maślice, Ołbin i Zakrzów - parki, rekreacja i zielone zakątki w całym mieście;greenery/recreation;1;Ogólnomiejskie
203;1000000;411;Poprawienie warunków szkolenia dzieci i młodzieży na obiekcie piłkarskim „Oławka”.;sport;0;Ogólnomiejskie
206;2000000;1177;ul. Grota-Roweckiego - budowa chodnika i ścieżki rowerowej;walking/cycling infrastructure;0;Ogólnomiejskie
210;2000000;542;STAWY LEŚNICKIE - rekreacja i wypoczynek dla mieszkańców Wrocławia;greenery/recreation;0;Ogólnomiejskie
215;1500000;785;Chodnik i ścieżka rowerowa z Kowal na Swojec;walking/cycling infrastructure;0;Ogólnomiejskie
219;2000000;561;Ogród Doświadczeń;greenery/recreation;0;Ogólnomiejskie
220;1500000;91;Nowoczesne, samoczyszczące toalety publiczne na terenie ogólnodostępnym kompleksu Stadionu Olimpijskiego;greenery/recreation;0;Ogólnomiejskie
221;1200000;492;JASNA POLANA;greenery/recreation;0;Ogólnomiejskie
225;2000000;729;Park Szczytnicki - zieleń, oświetlenie, toaleta, boisko do siatkówki plażowej, stacja naprawy rowerów, ławki i kosze.;greenery/recreation;0;Ogólnomiejskie
238;2000000;2611;Parki Brochowskie: Rozbudowa Parków Brochowskiego (daw. Majątkowego) i „ na Skraju” (daw. Bieńkowickiego) [RO Brochów];greenery/recreation;0;Ogólnomiejskie
245;2000000;410;Rowerowy Wrocław: ścieżka (pas) dla rowerów przy ul. Dubois (od Mostu Mieszczańskiego do ul. Drobnera);walking/cycling infrastructure;0;Ogólnomiejskie
261;2000000;2114;Klecina na rowerze - ul. Czekoladowa;walking/cycling infrastructure;0;Ogólnomiejskie
267;2000000;1070;KREATYWNE CENTRUM BEZ BARIER DLA KAŻDEGO NA GROCHOWEJ;greenery/recreation;0;Ogólnomiejskie
268;2000000;859;Ścieżka rowerowa łącząca Kowale z resztą miasta;walking/cycling infrastructure;0;Ogólnomiejskie
275;1000000;92;Boisko do piłki nożnej Nowe Żerniki;sport;0;Ogólnomiejskie
278;2000000;315;Rowerowa ulica Kościuszki - pasy rowerowe po obu stronach jezdni;walking/cycling infrastructure;0;Ogólnomiejskie
283;2000000;334;Kolej na sport! Strefa sportowa w parku przy ul. Kolejowej;sport;0;Ogólnomiejskie
289;2000000;981;Chcemy oddychać - ratujmy starodrzew i zieleń przy ulicach!;greenery/recreation;0;Ogólnomiejskie
292;2000000;928;Leśnica - Trzmielowicka - droga rowerowa i nowa nawierzchnia;walking/cycling infrastructure;0;Ogólnomiejskie
295;2000000;935;LAS PRZY UL. KOSMONAUTÓW - miejsce wypoczynku, sportu i rekreacji!;greenery/recreation;0;Ogólnomiejskie
297;2000000;3681;Psie Pole, Zakrzów, Zgorzelisko i Strachocin łączą siły;greenery/recreation;1;Ogólnomiejskie
300;2000000;2519;Zadaszenie wielofunkcyjnego boiska przy ul. Lotniczej do jazdy na rolkach, lacrosse, hokeja na rolkach, bike polo i roller derby - kontynuacja projektu WBO 307/2019;sport;0;Ogólnomiejskie
306;2000000;232;"WROcBOX: PRZEWIJAKI TERENOWE ""ALTANY"" w parkach dla młodzieży, dorosłych, seniorów pieluchowanych";other;0;Ogólnomiejskie
308;2000000;754;PARK 5 OSIEDLI - od dworca po Partynice -  etap 1  -  RENOWACJA PARKU ANDERSA;greenery/recreation;0;Ogólnomiejskie
316;2000000;1456;ZIELONE PŁUCA DLA STABŁOWIC I ZŁOTNIK – walczymy o czyste powietrze i zielone parki we Wrocławiu;greenery/recreation;0;Ogólnomiejskie
320;150000;263;Bulodrom w Parku Grabiszyńskim;greenery/recreation;0;Ogólnomiejskie
325;2000000;855;Zieleń dla Wrocławia - nowe parki kieszonkowe i enklawy zieleni w całym mieście!;greenery/recreation;0;Ogólnomiejskie
327;2000000;328;Ul. Ruska dla pieszych (deptak pomiędzy pl. Solnym a ul. Kazimierza Wielkiego);walking/cycling infrastructure;0;Ogólnomiejskie
332;2000000;761;Brakujący odcinek ścieżki pieszo-rowerowej przy ulicy Międzyrzeckiej/Opatowickiej;walking/cycling infrastructure;0;Ogólnomiejskie
334;2000000;232;Przejście dla pieszych po południowozachodniej stronie Mostu Grunwaldzkiego;walking/cycling infrastructure;0;Ogólnomiejskie
342;750000;1161;Park przy al. Jana Kasprowicza we Wrocławiu (naprzeciwko kościoła pw. św. Antoniego) na Karłowicach (Osiedle Karłowice-Różanka);greenery/recreation;0;Ogólnomiejskie
349;2000000;302;URBEE - miasto, relaks, edukacja i zapylacze. Przestrzeń dla mieszkańców osiedla Nowy Dwór i owadów zapylających, obszar edukacji na świeżym powietrzu dla uczniów i studentów Wrocławia.;greenery/recreation;0;Ogólnomiejskie
354;1500000;449;ZIELONY KĄCIK zagospodarowanie terenu wgłębnika przy ul. Partyzantów, Dembowskiego i 8 Maja - miejsce wypoczynku i rekreacji wśród zieleni;greenery/recreation;0;Ogólnomiejskie
360;2000000;1421;JAGODNO-BROCHÓW BEZPIECZNA DROGA - oświetlony chodnik i droga rowerowa od Terenowej do linii kolejowej;walking/cycling infrastructure;0;Ogólnomiejskie
363;2000000;1241;Od METALOWCÓW po BYSTRZYCKĄ! Chodnik, ścieżka rowerowa, oświetlenie! KUŹNIKI i GĄDÓW!;walking/cycling infrastructure;0;Ogólnomiejskie
369;1300000;87;Wyznaczenie drugiego przejścia dla pieszych przez ul.Grabiszyńską w rejonie ul.Pereca;walking/cycling infrastructure;0;Ogólnomiejskie
380;1500000;1096;113 NA SPORTOWO (ETAP 2);sport;0;Ogólnomiejskie
386;2000000;181;Rekreacyjno-sportowy park rozrywki nad Odrą przy Wzgórzu Kilimandżaro;greenery/recreation;0;Ogólnomiejskie
392;2000000;1996;Pumptracki w całym Wrocławiu;greenery/recreation;0;Ogólnomiejskie
394;2000000;282;Park Międzyosiedlowy Nadbrzeżna;greenery/recreation;0;Ogólnomiejskie
396;2000000;118;Fangorn park przy Business Garden/ul. Jaworska;greenery/recreation;0;Ogólnomiejskie
397;2000000;154;ULICA DO ŻYCIA. Woonerf dla terenów zlokalizowanych obok  Dworca Głównego PKS i PKP - Odnowa ul. Ciepłej i Wesołej (Huby) - ŁAWKI, ZIELEŃ, BEZPIECZEŃSTWO DLA WSZYSTKICH;walking/cycling infrastructure;0;Ogólnomiejskie
398;2000000;417;Uwaga! MOSTEK OTWARTY w Parku Wschodnim - budowa betonowego mostka.;greenery/recreation;0;Ogólnomiejskie
