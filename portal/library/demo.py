"""Demo catalogue for the library of Via S. Erlembaldo: about 300 real books in
Italian, English, Arabic, Spanish and Chinese, many for children, with copies,
a few loans (one overdue), holds and a book waiting on the hold shelf — all
relative to today."""

import random
from datetime import timedelta

from peewee import fn

from portal.clock import today_local, utcnow
from portal.db import database
from portal.models import User

from . import services
from .models import Copy, Hold, Library, LibraryMember, Loan, Title

# title | author | subjects | age (c = children, t = teens, a = adults) | year | publisher
ITALIAN = """\
Il richiamo della foresta (edizione ridotta)|Jack London|animali, avventura|t|2015|Giunti
Gli sdraiati|Michele Serra|famiglia, adolescenza|a|2013|Feltrinelli
Il visconte dimezzato|Italo Calvino|romanzo, fiaba|t|1952|Einaudi
Fiabe italiane|Italo Calvino|fiabe, tradizione|c|1956|Mondadori
Ascolta il mio cuore|Bianca Pitzorno|scuola, amicizia|c|1991|Mondadori
Extraterrestre alla pari|Bianca Pitzorno|fantascienza, identità|c|1979|Einaudi Ragazzi
Polissena del Porcello|Bianca Pitzorno|avventura, famiglia|c|1993|Mondadori
Lupo Alberto. Le storie più belle|Silver|fumetti, animali|c|2010|Panini
Gli anni di Cristallo|Beatrice Masini|romanzo, ragazze|t|2016|Mondadori
L'arminuta|Donatella Di Pietrantonio|romanzo, famiglia, Abruzzo|a|2017|Einaudi
Ragazzo italiano|Gian Arturo Ferrari|romanzo, infanzia|a|2020|Feltrinelli
Il barone rampante|Italo Calvino|romanzo, classici|a|1957|Einaudi
Le città invisibili|Italo Calvino|romanzo, città|a|1972|Einaudi
Marcovaldo ovvero Le stagioni in città|Italo Calvino|racconti, città, Milano|t|1963|Einaudi
Favole al telefono|Gianni Rodari|fiabe, racconti|c|1962|Einaudi Ragazzi
Il libro degli errori|Gianni Rodari|filastrocche, scuola|c|1964|Einaudi Ragazzi
Grammatica della fantasia|Gianni Rodari|educazione, scrittura|a|1973|Einaudi
C'era due volte il barone Lamberto|Gianni Rodari|fiabe|c|1978|Einaudi Ragazzi
Le avventure di Pinocchio|Carlo Collodi|fiabe, classici|c|1883|Giunti
Cuore|Edmondo De Amicis|scuola, classici|t|1886|Mondadori
I promessi sposi|Alessandro Manzoni|romanzo storico, classici, Milano|a|1840|Mondadori
Il giorno della civetta|Leonardo Sciascia|mafia, romanzo|a|1961|Adelphi
Se questo è un uomo|Primo Levi|memoria, Shoah|a|1947|Einaudi
Il sistema periodico|Primo Levi|racconti, scienza|a|1975|Einaudi
Lessico famigliare|Natalia Ginzburg|famiglia, memoria|a|1963|Einaudi
L'amica geniale|Elena Ferrante|romanzo, amicizia, Napoli|a|2011|E/O
Storia del nuovo cognome|Elena Ferrante|romanzo, amicizia|a|2012|E/O
La storia|Elsa Morante|romanzo, guerra, Roma|a|1974|Einaudi
L'isola di Arturo|Elsa Morante|romanzo, adolescenza|t|1957|Einaudi
Il Gattopardo|Giuseppe Tomasi di Lampedusa|romanzo storico, Sicilia|a|1958|Feltrinelli
Il nome della rosa|Umberto Eco|giallo, medioevo|a|1980|Bompiani
Il deserto dei Tartari|Dino Buzzati|romanzo|a|1940|Mondadori
La famosa invasione degli orsi in Sicilia|Dino Buzzati|fiabe, animali|c|1945|Mondadori
Io non ho paura|Niccolò Ammaniti|romanzo, infanzia|t|2001|Einaudi
Va' dove ti porta il cuore|Susanna Tamaro|romanzo, famiglia|a|1994|Baldini & Castoldi
Novecento|Alessandro Baricco|monologo, musica|a|1994|Feltrinelli
Seta|Alessandro Baricco|romanzo, Giappone|a|1996|Feltrinelli
La solitudine dei numeri primi|Paolo Giordano|romanzo|a|2008|Mondadori
Gomorra|Roberto Saviano|camorra, inchiesta|a|2006|Mondadori
Il fu Mattia Pascal|Luigi Pirandello|romanzo, classici|a|1904|Mondadori
Uno, nessuno e centomila|Luigi Pirandello|romanzo, identità|a|1926|Mondadori
La coscienza di Zeno|Italo Svevo|romanzo, psicanalisi|a|1923|Mondadori
Cristo si è fermato a Eboli|Carlo Levi|memoria, Sud Italia|a|1945|Einaudi
La luna e i falò|Cesare Pavese|romanzo, Langhe|a|1950|Einaudi
Il partigiano Johnny|Beppe Fenoglio|Resistenza, guerra|a|1968|Einaudi
Il sentiero dei nidi di ragno|Italo Calvino|Resistenza, ragazzi|t|1947|Einaudi
Caos calmo|Sandro Veronesi|romanzo, lutto|a|2005|Bompiani
Il colibrì|Sandro Veronesi|romanzo, famiglia|a|2019|La nave di Teseo
M. Il figlio del secolo|Antonio Scurati|romanzo storico, fascismo|a|2018|Bompiani
Nel mare ci sono i coccodrilli|Fabio Geda|migrazione, Afghanistan, ragazzi|t|2010|Baldini & Castoldi
Bianca come il latte, rossa come il sangue|Alessandro D'Avenia|adolescenza, scuola|t|2010|Mondadori
Storia di una gabbianella e del gatto che le insegnò a volare|Luis Sepúlveda|animali, amicizia|c|1996|Salani
Il piccolo principe|Antoine de Saint-Exupéry|fiabe, amicizia|c|1943|Bompiani
La gabbianella e il gatto (albo illustrato)|Luis Sepúlveda|albo illustrato, animali|c|2010|Salani
Geronimo Stilton. Il mistero dell'occhio di smeraldo|Geronimo Stilton|avventura, umorismo|c|2000|Piemme
Geronimo Stilton. Un camper color formaggio|Geronimo Stilton|avventura, viaggi|c|2001|Piemme
Tea Stilton. Il codice del drago|Tea Stilton|avventura, amicizia|c|2006|Piemme
Pezzettino|Leo Lionni|albo illustrato, identità|c|1975|Babalibri
Federico|Leo Lionni|albo illustrato, poesia|c|1967|Babalibri
Piccolo blu e piccolo giallo|Leo Lionni|albo illustrato, colori|c|1959|Babalibri
Il GGG|Roald Dahl|fantasia, giganti|c|1982|Salani
Matilde|Roald Dahl|scuola, lettura|c|1988|Salani
La fabbrica di cioccolato|Roald Dahl|fantasia|c|1964|Salani
Harry Potter e la pietra filosofale|J. K. Rowling|fantasy, magia|t|1997|Salani
Mio fratello rincorre i dinosauri|Giacomo Mazzariol|disabilità, famiglia|t|2016|Einaudi
Wonder|R. J. Palacio|amicizia, scuola, diversità|t|2012|Giunti
Il GGG a fumetti|Roald Dahl|fumetti, giganti|c|2019|Salani
Zeroperzero|Mauro Covacich|calcio, ragazzi|t|2017|Rizzoli
Cucina italiana di casa|Anna Moroni|cucina, ricette|a|2012|Mondadori
Il cucchiaio d'argento|Redazione Domus|cucina, ricette|a|1950|Editoriale Domus
Imparo l'italiano. Corso per stranieri A1|Loescher Scuola|lingua italiana, italiano per stranieri|a|2018|Loescher
Parole in viaggio. Italiano L2 livello A2|Alma Edizioni|lingua italiana, italiano per stranieri|a|2016|Alma
La Costituzione italiana spiegata ai ragazzi|Gherardo Colombo|diritti, cittadinanza|t|2017|Feltrinelli
Sulle regole|Gherardo Colombo|legalità, cittadinanza|a|2008|Feltrinelli
Milano. Guida della città|Touring Club Italiano|Milano, guide, città|a|2019|Touring Editore
Storia di Milano per ragazzi|Paolo Colombo|Milano, storia|t|2015|Hoepli
Primo soccorso in famiglia|Croce Rossa Italiana|salute, famiglia|a|2014|Giunti
Il mio primo dizionario illustrato|Giunti Junior|dizionario, lingua italiana|c|2017|Giunti
I colori delle emozioni|Anna Llenas|emozioni, albo illustrato|c|2014|Gribaudo
A caccia dell'orso|Michael Rosen|albo illustrato, famiglia|c|1989|Mondadori
Il Gruffalò|Julia Donaldson|albo illustrato, bosco|c|1999|Emme Edizioni
Nel paese dei mostri selvaggi|Maurice Sendak|albo illustrato, fantasia|c|1963|Adelphi
Cipì|Mario Lodi|animali, scuola|c|1961|Einaudi Ragazzi
La gabbia dorata|Marcella Ferrari|racconti, famiglia|a|2015|Sellerio
"""
ENGLISH = """\
The Lion, the Witch and the Wardrobe|C. S. Lewis|fantasy, adventure|c|1950|Geoffrey Bles
Alice's Adventures in Wonderland|Lewis Carroll|fantasy, classics|c|1865|Macmillan
The Secret Garden|Frances Hodgson Burnett|friendship, nature, classics|c|1911|Heinemann
Frankenstein|Mary Shelley|gothic, science fiction, classics|a|1818|Lackington
The Old Man and the Sea|Ernest Hemingway|novel, sea|a|1952|Scribner
Small Island|Andrea Levy|novel, Jamaica, migration|a|2004|Headline
The Boy at the Back of the Class|Onjali Q. Raúf|refugees, friendship, school|c|2018|Orion
Hello, Universe|Erin Entrada Kelly|friendship, courage|c|2017|Greenwillow
To Kill a Mockingbird|Harper Lee|novel, justice, childhood|a|1960|Harper
1984|George Orwell|dystopia, politics|a|1949|Penguin
Animal Farm|George Orwell|fable, politics|t|1945|Penguin
Pride and Prejudice|Jane Austen|novel, classics, love|a|1813|Penguin
Jane Eyre|Charlotte Brontë|novel, classics|a|1847|Penguin
Great Expectations|Charles Dickens|novel, classics|a|1861|Penguin
Oliver Twist|Charles Dickens|novel, childhood, London|t|1838|Penguin
The Great Gatsby|F. Scott Fitzgerald|novel, America|a|1925|Scribner
Of Mice and Men|John Steinbeck|novel, friendship|t|1937|Penguin
Beloved|Toni Morrison|novel, slavery|a|1987|Vintage
The Color Purple|Alice Walker|novel, women|a|1982|Harcourt
Things Fall Apart|Chinua Achebe|novel, Nigeria, colonialism|a|1958|Heinemann
Half of a Yellow Sun|Chimamanda Ngozi Adichie|novel, Nigeria, war|a|2006|Fourth Estate
Americanah|Chimamanda Ngozi Adichie|novel, migration, identity|a|2013|Fourth Estate
The Kite Runner|Khaled Hosseini|novel, Afghanistan|a|2003|Riverhead
A Thousand Splendid Suns|Khaled Hosseini|novel, Afghanistan, women|a|2007|Riverhead
Never Let Me Go|Kazuo Ishiguro|novel, science fiction|a|2005|Faber & Faber
The Remains of the Day|Kazuo Ishiguro|novel, England|a|1989|Faber & Faber
White Teeth|Zadie Smith|novel, London, migration|a|2000|Hamish Hamilton
The Handmaid's Tale|Margaret Atwood|dystopia, women|a|1985|McClelland & Stewart
Life of Pi|Yann Martel|adventure, sea, animals|t|2001|Knopf Canada
The Curious Incident of the Dog in the Night-Time|Mark Haddon|mystery, autism|t|2003|Jonathan Cape
The Hobbit|J. R. R. Tolkien|fantasy, adventure|t|1937|Allen & Unwin
Harry Potter and the Philosopher's Stone|J. K. Rowling|fantasy, magic, school|t|1997|Bloomsbury
Harry Potter and the Chamber of Secrets|J. K. Rowling|fantasy, magic, school|t|1998|Bloomsbury
Matilda|Roald Dahl|school, reading|c|1988|Jonathan Cape
Charlie and the Chocolate Factory|Roald Dahl|fantasy, chocolate|c|1964|Knopf
The BFG|Roald Dahl|fantasy, giants|c|1982|Jonathan Cape
The Very Hungry Caterpillar|Eric Carle|picture book, food, nature|c|1969|World Publishing
Brown Bear, Brown Bear, What Do You See?|Bill Martin Jr.|picture book, colours, animals|c|1967|Henry Holt
Where the Wild Things Are|Maurice Sendak|picture book, imagination|c|1963|Harper & Row
The Gruffalo|Julia Donaldson|picture book, forest|c|1999|Macmillan
Room on the Broom|Julia Donaldson|picture book, witches, friendship|c|2001|Macmillan
The Cat in the Hat|Dr. Seuss|picture book, rhymes|c|1957|Random House
Green Eggs and Ham|Dr. Seuss|picture book, rhymes, food|c|1960|Random House
Goodnight Moon|Margaret Wise Brown|picture book, bedtime|c|1947|Harper & Brothers
Guess How Much I Love You|Sam McBratney|picture book, family|c|1994|Walker Books
We're Going on a Bear Hunt|Michael Rosen|picture book, family, adventure|c|1989|Walker Books
The Tiger Who Came to Tea|Judith Kerr|picture book, animals|c|1968|HarperCollins
Diary of a Wimpy Kid|Jeff Kinney|humour, school, comics|c|2007|Amulet Books
Wonder|R. J. Palacio|friendship, school, difference|t|2012|Knopf
Holes|Louis Sachar|adventure, friendship|t|1998|Farrar, Straus and Giroux
The Hunger Games|Suzanne Collins|dystopia, adventure|t|2008|Scholastic
Charlotte's Web|E. B. White|animals, friendship|c|1952|Harper & Brothers
Becoming|Michelle Obama|memoir, politics|a|2018|Crown
I Am Malala|Malala Yousafzai|memoir, education, girls|t|2013|Little, Brown
Sapiens: A Brief History of Humankind|Yuval Noah Harari|history, anthropology|a|2011|Harvill Secker
Educated|Tara Westover|memoir, education|a|2018|Random House
English Grammar in Use|Raymond Murphy|English language, grammar|a|1985|Cambridge University Press
Oxford Picture Dictionary|Jayme Adelson-Goldstein|dictionary, English language|a|1998|Oxford University Press
The Snowy Day|Ezra Jack Keats|picture book, winter, city|c|1962|Viking
Peter Rabbit|Beatrix Potter|picture book, animals, classics|c|1902|Frederick Warne
"""
ARABIC = """\
الطنطورية|رضوى عاشور|رواية، فلسطين|a|2010|دار الشروق
ثلاثية غرناطة|رضوى عاشور|رواية تاريخية، الأندلس|a|1994|دار الشروق
يوميات نائب في الأرياف|توفيق الحكيم|رواية، الريف المصري|a|1937|دار الشروق
عودة الروح|توفيق الحكيم|رواية، مصر|a|1933|دار الشروق
رسالة الغفران|أبو العلاء المعري|أدب، تراث|a|1033|دار المعارف
مغامرات سمسم|فاطمة المزروعي|قصص أطفال، مغامرة|c|2017|دار كلمات
بطوطة|حنان عبد الله|قصص أطفال، حيوانات|c|2016|دار أصالة
القرد والسلحفاة|سماح إدريس|قصص أطفال، صداقة|c|2009|دار الآداب
الخبز الحافي|محمد شكري|رواية، سيرة ذاتية، المغرب|a|1973|دار الساقي
موسم الهجرة إلى الشمال|الطيب صالح|رواية، السودان، هجرة|a|1966|دار العودة
ثلاثية القاهرة: بين القصرين|نجيب محفوظ|رواية، القاهرة، عائلة|a|1956|دار الشروق
أولاد حارتنا|نجيب محفوظ|رواية، رمزية|a|1959|دار الشروق
زقاق المدق|نجيب محفوظ|رواية، القاهرة|a|1947|دار الشروق
اللص والكلاب|نجيب محفوظ|رواية|a|1961|دار الشروق
الأيام|طه حسين|سيرة ذاتية، تعليم|a|1929|دار المعارف
رجال في الشمس|غسان كنفاني|رواية، فلسطين، هجرة|a|1963|مؤسسة الأبحاث العربية
عائد إلى حيفا|غسان كنفاني|رواية، فلسطين|a|1969|مؤسسة الأبحاث العربية
عزازيل|يوسف زيدان|رواية تاريخية|a|2008|دار الشروق
عمارة يعقوبيان|علاء الأسواني|رواية، القاهرة، مجتمع|a|2002|دار الشروق
ساق البامبو|سعود السنعوسي|رواية، هوية، الكويت|a|2012|الدار العربية للعلوم
فرانكشتاين في بغداد|أحمد سعداوي|رواية، العراق، حرب|a|2013|منشورات الجمل
ذاكرة الجسد|أحلام مستغانمي|رواية، الجزائر|a|1993|دار الآداب
بنات الرياض|رجاء الصانع|رواية، نساء|a|2005|دار الساقي
مدن الملح|عبد الرحمن منيف|رواية، النفط، الصحراء|a|1984|المؤسسة العربية للدراسات
النبي|جبران خليل جبران|تأملات، شعر|a|1923|دار صادر
الأجنحة المتكسرة|جبران خليل جبران|رواية، حب|a|1912|دار صادر
ديوان محمود درويش|محمود درويش|شعر، فلسطين|a|1994|دار العودة
طوق الحمامة|ابن حزم الأندلسي|أدب، حب، الأندلس|a|1022|دار المعارف
كليلة ودمنة|ابن المقفع|حكايات، حيوانات، حكمة|t|750|دار الشروق
ألف ليلة وليلة: حكايات مختارة للأطفال|مؤلفون متعددون|حكايات، أطفال|c|2005|دار المعارف
حي بن يقظان|ابن طفيل|فلسفة، قصة|a|1185|دار المعارف
الحوت الأزرق|تغريد النجار|قصص أطفال، بحر|c|2014|دار السلوى
أين أذني؟|تغريد النجار|قصص أطفال، جسم|c|2012|دار السلوى
لا أحب القيلولة|تغريد النجار|قصص أطفال، نوم|c|2010|دار السلوى
قطتي صغيرة|فاطمة شرف الدين|قصص أطفال، حيوانات|c|2011|دار الساقي
فيروز والحلوى|فاطمة شرف الدين|قصص أطفال، طعام|c|2013|كلمات
ماذا يحدث عندما نمرض؟|فاطمة شرف الدين|قصص أطفال، صحة|c|2014|كلمات
الأرنب الذي أراد أن يطير|أمل فرح|قصص أطفال، أحلام|c|2016|نهضة مصر
جدتي نخلة|هيفاء الشيخ|قصص أطفال، عائلة|c|2015|دار الفتى العربي
حكايات كامل كيلاني: علي بابا|كامل كيلاني|حكايات، أطفال|c|1930|دار المعارف
حكايات كامل كيلاني: السندباد البحري|كامل كيلاني|حكايات، مغامرة، بحر|c|1930|دار المعارف
المكتبة الخضراء: بياض الثلج|محمود قاسم|حكايات، أطفال|c|1969|دار المعارف
المكتبة الخضراء: الأميرة والضفدع|محمود قاسم|حكايات، أطفال|c|1969|دار المعارف
تعلم الإيطالية للناطقين بالعربية|أليسا بيري|اللغة الإيطالية، قاموس|a|2017|هوبلي
قاموس عربي إيطالي|إيناس بوسيلي|قاموس، اللغة الإيطالية|a|2010|زانيكيلي
الطبخ العربي في البيت|منال العالم|طبخ، وصفات|a|2009|دار الشروق
ساعي بريد نيرودا|أنطونيو سكارميتا|رواية مترجمة، شعر|a|1985|دار المدى
الأمير الصغير|أنطوان دو سانت إكزوبيري|حكايات، صداقة|c|1943|دار الشروق
شيفرة بلال|أحمد خيري العمري|رواية، هوية|t|2012|دار الفكر
أرض زيكولا|عمرو عبد الحميد|فانتازيا، مغامرة|t|2010|دار عصير الكتب
هيبتا|محمد صادق|رواية، حب|t|2014|دار الرواق
أنت لي|منى المرشود|رواية|t|2008|دار الساقي
في قلبي أنثى عبرية|خولة حمدي|رواية، أديان|a|2012|دار كيان
"""
SPANISH = """\
El coronel no tiene quien le escriba|Gabriel García Márquez|novela, Colombia|a|1961|Sudamericana
La tía Julia y el escribidor|Mario Vargas Llosa|novela, Lima, humor|a|1977|Seix Barral
La ciudad y los perros|Mario Vargas Llosa|novela, Lima, adolescencia|a|1963|Seix Barral
El lápiz del carpintero|Manuel Rivas|novela, Galicia, guerra|a|1998|Alfaguara
Momo|Michael Ende|fantasía, tiempo|c|1973|Alfaguara
La historia interminable|Michael Ende|fantasía, libros|t|1979|Alfaguara
El pollo Pepe|Nick Denchfield|álbum ilustrado, animales|c|1998|SM
Cuentos de la selva|Horacio Quiroga|cuentos, animales, Argentina|c|1918|Losada
Cien años de soledad|Gabriel García Márquez|novela, realismo mágico, Colombia|a|1967|Sudamericana
El amor en los tiempos del cólera|Gabriel García Márquez|novela, amor|a|1985|Oveja Negra
Crónica de una muerte anunciada|Gabriel García Márquez|novela|a|1981|La Oveja Negra
Relato de un náufrago|Gabriel García Márquez|crónica, mar|t|1970|Tusquets
La casa de los espíritus|Isabel Allende|novela, Chile, familia|a|1982|Plaza & Janés
Paula|Isabel Allende|memorias, familia|a|1994|Plaza & Janés
La ciudad de las bestias|Isabel Allende|aventura, Amazonia|t|2002|Montena
Pedro Páramo|Juan Rulfo|novela, México|a|1955|Fondo de Cultura Económica
El túnel|Ernesto Sabato|novela, psicología|a|1948|Sur
Ficciones|Jorge Luis Borges|cuentos, literatura fantástica|a|1944|Sur
Rayuela|Julio Cortázar|novela, París|a|1963|Sudamericana
La tregua|Mario Benedetti|novela, Montevideo|a|1960|Alfa
Como agua para chocolate|Laura Esquivel|novela, cocina, México|a|1989|Planeta
La sombra del viento|Carlos Ruiz Zafón|novela, Barcelona, libros|a|2001|Planeta
Marina|Carlos Ruiz Zafón|novela, misterio, Barcelona|t|1999|Edebé
Don Quijote de la Mancha|Miguel de Cervantes|novela, clásicos|a|1605|Real Academia Española
Platero y yo|Juan Ramón Jiménez|poesía en prosa, animales|t|1914|Espasa
Bodas de sangre|Federico García Lorca|teatro, tragedia|a|1933|Cátedra
Romancero gitano|Federico García Lorca|poesía|a|1928|Cátedra
Veinte poemas de amor y una canción desesperada|Pablo Neruda|poesía, amor|a|1924|Nascimento
Los de abajo|Mariano Azuela|novela, Revolución mexicana|a|1915|Fondo de Cultura Económica
La casa en Mango Street|Sandra Cisneros|migración, infancia, identidad|t|1984|Vintage Español
Nada|Carmen Laforet|novela, Barcelona, posguerra|a|1945|Destino
Los santos inocentes|Miguel Delibes|novela, campo|a|1981|Planeta
El niño con el pijama de rayas|John Boyne|novela, Holocausto|t|2006|Salamandra
Manolito Gafotas|Elvira Lindo|humor, familia, Madrid|c|1994|Alfaguara
Fray Perico y su borrico|Juan Muñoz Martín|humor, animales|c|1980|SM
El monstruo de colores|Anna Llenas|emociones, álbum ilustrado|c|2012|Flamboyant
Donde viven los monstruos|Maurice Sendak|álbum ilustrado, fantasía|c|1963|Alfaguara
¿A qué sabe la luna?|Michael Grejniec|álbum ilustrado, animales|c|1993|Kalandraka
Elmer|David McKee|álbum ilustrado, diversidad|c|1989|Beascoa
Adivina cuánto te quiero|Sam McBratney|álbum ilustrado, familia|c|1994|Kókinos
La oruga muy hambrienta|Eric Carle|álbum ilustrado, naturaleza|c|1969|Kókinos
El Principito|Antoine de Saint-Exupéry|fábula, amistad|c|1943|Salamandra
Kika Superbruja y el libro de hechizos|Knister|magia, humor|c|1999|Bruño
Las brujas|Roald Dahl|fantasía, brujas|c|1983|Alfaguara
Harry Potter y la piedra filosofal|J. K. Rowling|fantasía, magia|t|1997|Salamandra
Diario de Greg. Un renacuajo|Jeff Kinney|humor, escuela|c|2007|Molino
Mafalda. Todas las tiras|Quino|cómic, humor|t|1993|Lumen
Las venas abiertas de América Latina|Eduardo Galeano|historia, política|a|1971|Siglo XXI
El libro de los abrazos|Eduardo Galeano|relatos|a|1989|Siglo XXI
Aprendo italiano. Curso para hispanohablantes|Carla Dente|lengua italiana|a|2015|Hoepli
Diccionario español-italiano|Laura Tam|diccionario, lengua italiana|a|2009|Hoepli
Cocina peruana para todos|Gastón Acurio|cocina, Perú, recetas|a|2008|Planeta
Yo, Rigoberta Menchú|Elizabeth Burgos|testimonio, Guatemala, derechos|a|1983|Siglo XXI
El laberinto de la soledad|Octavio Paz|ensayo, México|a|1950|Cuadernos Americanos
Eva Luna|Isabel Allende|novela, Venezuela|a|1987|Plaza & Janés
"""
CHINESE = """\
我与地坛|史铁生|散文, 生命|a|1991|人民文学出版社
人生|路遥|小说, 青春, 农村|a|1982|中国青年出版社
狼王梦|沈石溪|动物小说, 狼|c|1990|浙江少年儿童出版社
大头儿子和小头爸爸|郑春华|儿童文学, 家庭|c|1991|少年儿童出版社
没头脑和不高兴|任溶溶|儿童文学, 幽默|c|1956|少年儿童出版社
宝葫芦的秘密|张天翼|儿童文学, 童话|c|1958|人民文学出版社
文化苦旅|余秋雨|散文, 文化, 旅行|a|1992|东方出版中心
繁花|金宇澄|小说, 上海|a|2013|上海文艺出版社
活着|余华|小说, 家庭, 历史|a|1993|作家出版社
许三观卖血记|余华|小说, 家庭|a|1995|南海出版公司
兄弟|余华|小说, 社会|a|2005|上海文艺出版社
红高粱家族|莫言|小说, 战争|a|1987|解放军文艺出版社
丰乳肥臀|莫言|小说, 家族|a|1995|作家出版社
三体|刘慈欣|科幻, 宇宙|a|2008|重庆出版社
三体II：黑暗森林|刘慈欣|科幻|a|2008|重庆出版社
三体III：死神永生|刘慈欣|科幻|a|2010|重庆出版社
平凡的世界|路遥|小说, 农村, 青春|a|1986|人民文学出版社
围城|钱锺书|小说, 讽刺|a|1947|人民文学出版社
边城|沈从文|小说, 湘西|a|1934|人民文学出版社
骆驼祥子|老舍|小说, 北京|a|1936|人民文学出版社
四世同堂|老舍|小说, 北京, 战争|a|1946|人民文学出版社
茶馆|老舍|戏剧, 北京|a|1957|人民文学出版社
呐喊|鲁迅|短篇小说, 经典|a|1923|人民文学出版社
朝花夕拾|鲁迅|散文, 回忆|t|1928|人民文学出版社
家|巴金|小说, 家庭|a|1933|人民文学出版社
城南旧事|林海音|小说, 童年, 北京|t|1960|中国青年出版社
白鹿原|陈忠实|小说, 家族, 陕西|a|1993|人民文学出版社
长恨歌|王安忆|小说, 上海|a|1995|作家出版社
倾城之恋|张爱玲|小说, 香港, 爱情|a|1943|北京十月文艺出版社
红楼梦|曹雪芹|古典小说, 经典|a|1791|人民文学出版社
西游记|吴承恩|古典小说, 冒险|t|1592|人民文学出版社
三国演义|罗贯中|古典小说, 历史|a|1522|人民文学出版社
水浒传|施耐庵|古典小说, 英雄|a|1589|人民文学出版社
草房子|曹文轩|儿童文学, 成长|c|1997|江苏少年儿童出版社
青铜葵花|曹文轩|儿童文学, 友谊|c|2005|江苏少年儿童出版社
淘气包马小跳|杨红樱|儿童文学, 学校|c|2003|接力出版社
笑猫日记|杨红樱|儿童文学, 动物|c|2006|明天出版社
皮皮鲁传|郑渊洁|儿童文学, 童话|c|1981|二十一世纪出版社
舒克和贝塔|郑渊洁|儿童文学, 童话, 动物|c|1983|二十一世纪出版社
小猪唏哩呼噜|孙幼军|儿童文学, 童话|c|1999|春风文艺出版社
猜猜我有多爱你|山姆·麦克布雷尼|绘本, 家庭|c|1994|明天出版社
好饿的毛毛虫|艾瑞·卡尔|绘本, 自然|c|1969|明天出版社
我爸爸|安东尼·布朗|绘本, 家庭|c|2000|河北教育出版社
我妈妈|安东尼·布朗|绘本, 家庭|c|2005|河北教育出版社
小蝌蚪找妈妈|鲁兵|绘本, 动物|c|1959|上海人民美术出版社
团圆|余丽琼|绘本, 春节, 家庭|c|2008|明天出版社
小王子|安托万·德·圣埃克苏佩里|童话, 友谊|c|1943|人民文学出版社
哈利·波特与魔法石|J.K.罗琳|奇幻, 魔法|t|1997|人民文学出版社
狼图腾|姜戎|小说, 草原, 动物|a|2004|长江文艺出版社
看见|柴静|纪实, 新闻|a|2013|广西师范大学出版社
意大利语入门|王军|意大利语, 语言学习|a|2012|外语教学与研究出版社
汉意词典|北京外国语大学|词典, 意大利语|a|2005|商务印书馆
家常菜谱|甘智荣|烹饪, 食谱|a|2015|江苏凤凰科学技术出版社
唐诗三百首|蘅塘退士|诗歌, 经典|t|1763|中华书局
"""

LANGUAGES = {"it": ITALIAN, "en": ENGLISH, "ar": ARABIC, "es": SPANISH, "zh": CHINESE}
AGES = {"c": "children", "t": "teens", "a": "adults"}
# ISBN registration groups per language, for believable (valid) ISBNs.
ISBN_GROUPS = {"it": "97888", "en": "97800", "ar": "978977", "es": "97884", "zh": "978702"}
SHELF = {"children": "RAG", "teens": "GIO", "adults": "ADU"}


def _isbn(rng, group):
    body = group + "".join(str(rng.randrange(10)) for _ in range(12 - len(group)))
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def entries():
    """(language, title, author, subjects, age, year, publisher) for every demo book."""
    for language, block in LANGUAGES.items():
        for line in block.strip().splitlines():
            title, author, subjects, age, year, publisher = line.split("|")
            yield language, title, author, subjects.replace("،", ","), AGES[age], int(year), publisher


def load(ctx):
    """Fill the S. Erlembaldo library; returns counts for the demo summary."""
    rng = random.Random(5)
    site = ctx["sites"]["erlembaldo"]
    users = ctx["users"]
    now, today = utcnow(), today_local()
    with database().atomic():
        library = Library.create(site=site, name="Biblioteca di comunità – Via S. Erlembaldo")
        titles, copies, seen_isbn, number = [], [], set(), 0
        for language, title, author, subjects, age, year, publisher in entries():
            isbn = None
            if year >= 1970:
                isbn = _isbn(rng, ISBN_GROUPS[language])
                while isbn in seen_isbn:
                    isbn = _isbn(rng, ISBN_GROUPS[language])
                seen_isbn.add(isbn)
            row = Title.create(
                library=library,
                title=title,
                authors=author,
                isbn=isbn,
                language=language,
                age_group=age,
                subjects=subjects,
                publisher=publisher,
                year=year if year >= 1450 else None,
                created_at=now - timedelta(days=rng.randrange(30, 900)),
            )
            titles.append(row)
            for _ in range(1 if rng.random() < 0.7 else 2):
                number += 1
                copies.append(
                    Copy.create(
                        title=row,
                        barcode=f"ERL{number:05d}",
                        shelf_mark=f"{SHELF[age]} {language.upper()} {author.split()[-1][:3].upper()}",
                        created_at=row.created_at,
                    )
                )
        readers = [users[k] for k in ("maria@binari.example", "+393331234567", "wei@binari.example") if k in users]
        staff = users.get("erlembaldo@staff.binari.example")
        extra = []
        for name, email, phone in [
            ("Fatima Zahra El Amrani", None, "+393405551201"),
            ("Carmen Rojas", "carmen@binari.example", None),
            ("Li Na", None, "+393405551204"),
            ("Giovanni Bianchi", "giovanni@binari.example", None),
            ("Samira Haddad", None, "+393405551203"),
        ]:
            extra.append(User.create_account(name, ctx["password"], email=email, phone=phone))
        readers += extra
        loans = 0
        # Each reader's pseudonymous key, as the desk gives it at the first loan.
        keys = {reader.id: services.reader_key(reader.id) for reader in readers}
        for reader in readers:
            LibraryMember.create(
                library=library,
                user=reader,
                joined_at=now - timedelta(days=rng.randrange(1, 300)),
                reader_key=keys[reader.id],
            )
        # Past loans (returned: nobody opted in to a history, so only the reader key stays).
        for _i in range(240):
            copy = rng.choice(copies)
            issued = now - timedelta(days=rng.randrange(35, 360))
            Loan.create(
                copy=copy,
                member=None,
                reader_key=keys[rng.choice(readers).id],
                library=library,
                language=copy.title.language,
                issued_at=issued,
                due_date=(issued + timedelta(days=30)).date(),
                returned_at=issued + timedelta(days=rng.randrange(5, 40)),
                issued_by=staff,
            )
        # Current loans: a few per reader; Ahmed (no e-mail) has one overdue.
        pool = copies[:]
        rng.shuffle(pool)
        for reader, count in zip(readers, (2, 2, 1, 2, 1, 1, 1, 1), strict=False):
            for _ in range(count):
                copy = pool.pop()
                days_ago = rng.randrange(3, 25)
                Loan.create(
                    copy=copy,
                    member=reader,
                    reader_key=keys[reader.id],
                    library=library,
                    language=copy.title.language,
                    issued_at=now - timedelta(days=days_ago),
                    due_date=today + timedelta(days=30 - days_ago),
                    issued_by=staff,
                )
                loans += 1
        overdue_copy = pool.pop()
        ahmed = users.get("+393331234567") or readers[0]
        Loan.create(
            copy=overdue_copy,
            member=ahmed,
            reader_key=keys.get(ahmed.id, ""),
            library=library,
            language=overdue_copy.title.language,
            issued_at=now - timedelta(days=44),
            due_date=today - timedelta(days=14),
            issued_by=staff,
        )
        loans += 1
        # Holds: two people wait for a book that is out; one book waits on the hold shelf.
        # (a title whose only copy is out, so the queue really waits for its return)
        single = Copy.select(Copy.title).group_by(Copy.title).having(fn.COUNT(Copy.id) == 1)
        on_loan = (
            Loan.select()
            .join(Copy)
            .where(Loan.returned_at.is_null() & (Loan.member != ahmed) & Copy.title.in_(single))
            .first()
        )
        holds = 0
        for position, reader in enumerate([r for r in readers if r.id != on_loan.member_id][:2], start=1):
            Hold.create(
                title=on_loan.copy.title, member=reader, position=position, created_at=now - timedelta(days=position)
            )
            holds += 1
        shelf_copy = pool.pop()
        waiting_reader = extra[2]  # Li Na: no e-mail -> on the desk's list of people to phone
        Hold.create(
            title=shelf_copy.title,
            member=waiting_reader,
            position=1,
            status="ready",
            copy=shelf_copy,
            created_at=now - timedelta(days=6),
            ready_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=6),
            notify_by="phone",
        )
        holds += 1
    return {
        "library titles": len(titles),
        "library copies": len(copies),
        "library loans": loans,
        "library holds": holds,
    }
